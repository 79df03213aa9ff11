import { z } from 'zod';
import { STATE_NAMES } from './leads/normalize.js';

const optionalString = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string())
  .optional()
  .transform((s) => (s === undefined || s === '' ? undefined : s));

const boolFlag = z
  .enum(['', '0', '1', 'true', 'false', 'yes', 'no'])
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/**
 * A whole number in [min, max]. A blank value is refused rather than read as 0 (`z.coerce` turns '' into 0, so
 * `PORT=` listened on a random port and `LEAD_MEMORY_QUEUE_MAX=` held no leads): unset the variable for its default.
 */
const integer = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .refine((s) => s.trim() !== '', { message: 'is empty (unset it for the default)', abort: true })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const ms = (fallback: number) => integer(1).default(fallback);

const httpUrl = z.url({ protocol: /^https?$/ });
const wsUrl = z.url({ protocol: /^wss?$/ });

/** An optional URL: unset or blank (`PUBLIC_URL=` in a .env file) is undefined, anything else must be valid. */
const optionalUrl = <T extends z.ZodType<string>>(url: T) => url.optional().or(z.literal('').transform(() => undefined));

/** The environment, as the service reads it. One schema; parsed once at start-up. */
export const ConfigSchema = z.object({
  PORT: integer(0, 65535).default(8080),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PUBLIC_URL: optionalUrl(httpUrl),
  DATABASE_URL: optionalUrl(z.url({ protocol: /^postgres(ql)?$/ })),
  DATA_DIR: z.string().min(1).default('./data'),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: httpUrl.default('https://api.openai.com/v1'),
  OPENAI_REALTIME_URL: wsUrl.default('wss://api.openai.com/v1/realtime'),
  OPENAI_REALTIME_MODEL: z.string().min(1).default('gpt-realtime'),
  OPENAI_REALTIME_VOICE: z.string().min(1).default('marin'),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  TWILIO_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  NPA_API_URL: optionalUrl(httpUrl),
  NPA_API_USERNAME: optionalString,
  NPA_API_PASSWORD: optionalString,
  /** The first attempt's timeout; each further attempt of a lead waits 3x longer, up to NPA_TIMEOUT_MAX_MS. */
  NPA_TIMEOUT_MS: ms(10_000),
  NPA_TIMEOUT_MAX_MS: ms(60_000),
  NPA_MAX_ATTEMPTS: integer(1, 10).default(4),
  /** NPA requests out at once, per instance. */
  NPA_MAX_IN_FLIGHT: integer(1, 100).default(8),
  /** Consecutive failed NPA requests that open the circuit (nothing is sent), and its wait before one probe. */
  NPA_BREAKER_FAILURES: integer(1, 1000).default(5),
  NPA_BREAKER_COOLDOWN_MS: ms(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INSPECT: boolFlag,
  INSPECT_URL: wsUrl.default('ws://127.0.0.1:8090'),
  MAX_CALLS: integer(1).default(200),
  MODEL_CONNECT_TIMEOUT_MS: ms(5_000),
  MAX_CALL_MS: ms(15 * 60_000),
  GOODBYE_PLAYBACK_TIMEOUT_MS: ms(8_000),
  TRANSCRIPT_WAIT_MS: ms(3_000),
  EXTRACTION_TIMEOUT_MS: ms(20_000),
  SUBMISSION_TIMEOUT_MS: ms(60_000),
  DB_WRITE_TIMEOUT_MS: ms(5_000),
  PREWARM_TTL_MS: ms(15_000),
  /** How long SIGTERM lets live calls finish before the process stops anyway. */
  DRAIN_TIMEOUT_MS: ms(30_000),
  /** How often the outbox worker looks for due leads. */
  OUTBOX_POLL_MS: ms(1_000),
  /** Worker passes a lead gets before it is a failed lead. */
  OUTBOX_MAX_ATTEMPTS: integer(1, 50).default(6),
  /** First backoff between passes (then x4 per pass, capped at 10 min). */
  OUTBOX_RETRY_BASE_MS: ms(10_000),
  /** How long an outbox claim holds its row; renewed every third of it while its NPA request runs. */
  OUTBOX_LEASE_MS: ms(15_000),
  /** This process's name in the instances table; unset: random at start. Keep it across restarts to take over at once. */
  INSTANCE_ID: optionalString.refine((id) => id === undefined || /^[A-Za-z0-9._-]{1,64}$/.test(id), 'letters, digits, ".", "_" or "-", at most 64'),
  /** An instance whose heartbeat is this old is dead (its calls and claims are taken over); a call's session too. */
  RECOVERY_GRACE_MS: ms(15_000),
  /** How often the recovery sweep and the spool replay run. */
  RECOVERY_SWEEP_MS: ms(5_000),
  /** How often each instance stamps its heartbeat, and each live call touches its session row. */
  HEARTBEAT_MS: ms(5_000),
  /** Replays a spooled lead may fail while the database answers before it moves to the dead-letter file. */
  SPOOL_MAX_TRIES: integer(1, 1_000).default(5),
  /** Disk space held beside the spool for when the disk fills (at least one 4 KB page). */
  SPOOL_RESERVE_BYTES: integer(4096).default(1024 * 1024),
  /** Leads neither the database nor the spool can take, held in memory until one can (0: none). */
  LEAD_MEMORY_QUEUE_MAX: integer(0).default(200),
  /**
   * What happens to a lead whose witnesses disagree on a field: `hold` keeps it from the NPA API until a person
   * decides (`leads review`); `send` submits the majority values at once and lists it for review, flagged.
   */
  REVIEW_POLICY: z.enum(['hold', 'send']).default('hold'),
  /** States (USPS codes, comma-separated) whose ZIP codes are refused: the lead is kept but never sent. */
  REFUSED_STATES: z
    .string()
    .default('AK,HI')
    .transform((list) => list.split(',').map((code) => code.trim().toUpperCase()).filter((code) => code !== ''))
    .refine((codes) => codes.every((code) => code in STATE_NAMES), { message: `USPS codes separated by commas (e.g. AK,HI)` })
    .transform((codes) => Object.freeze([...new Set(codes)]) as readonly string[]),
  /** When set, `/metrics` answers only requests with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). */
  METRICS_TOKEN: optionalString.refine((token) => token === undefined || !/\s/.test(token), 'must not contain whitespace (it is sent as a bearer token)'),
  /** `on`: every call is recorded (two channels: caller left, agent right) and the greeting says so. */
  RECORDING: z.enum(['on', 'off']).default('on'),
  /** The words the greeting adds while RECORDING is on (after its first sentence). */
  RECORDING_NOTICE: z.string().trim().min(1).max(200).default('This call is recorded for quality.'),
  /** Where the directory store keeps recordings (default: DATA_DIR/recordings); unused with RECORDINGS_S3_BUCKET. */
  RECORDINGS_DIR: optionalString,
  /** S3-compatible object storage for recordings, shared by every instance (credentials: the AWS SDK's usual environment). */
  RECORDINGS_S3_BUCKET: optionalString,
  RECORDINGS_S3_ENDPOINT: optionalUrl(httpUrl),
  RECORDINGS_S3_PREFIX: z.string().trim().default('').refine((p) => p === '' || /^[A-Za-z0-9._\/-]{1,200}$/.test(p), 'letters, digits and . _ / - only'),
  RECORDINGS_S3_REGION: z.string().trim().min(1).default('us-east-1'),
  /** Recordings older than this are deleted by the daily sweep (the session notes it). */
  RECORDING_RETENTION_DAYS: integer(1, 3650).default(90),
  /**
   * A bearer token for automation on the console's API (`/admin/api/...`). With no operator account and no token
   * the console is off (404).
   */
  ADMIN_TOKEN: optionalString.refine((token) => token === undefined || (token.length >= 16 && !/\s/.test(token)), 'at least 16 characters, no whitespace'),
  /**
   * Reverse proxies in front of the server whose `X-Forwarded-For` entries are trusted (0: none, the peer address is
   * the client's). The console's sign-in limit per address counts the client address this gives.
   */
  TRUST_PROXY_HOPS: integer(0, 10).default(0),
  /** OpenAI's audio transcription model, for the voicemail a caller leaves after a model failure. */
  OPENAI_TRANSCRIPTION_MODEL: z.string().min(1).default('gpt-4o-transcribe'),
  /** Twilio's REST API: voicemail recordings are fetched only from URLs under it (with the account's credentials). */
  TWILIO_API_URL: httpUrl.default('https://api.twilio.com'),
  /** An SMS conversation with no reply for this long is saved as a lead with what it has. */
  SMS_ABANDON_MS: ms(24 * 60 * 60_000),
  /** With OPENAI_API_KEY: how long an SMS reply waits for the LLM's reading of the text (then: offline only). */
  SMS_LLM_TURN_WAIT_MS: ms(2_500),
  /** With OPENAI_API_KEY: how long the vote on a confirmed SMS lead waits for the LLM and its re-ask. */
  SMS_LLM_VOTE_WAIT_MS: ms(8_000),
}).superRefine((config, ctx) => {
  // Combinations that cannot work, reported on the variable to change.
  const atLeast = (name: keyof typeof config, min: number, what: string): void => {
    if ((config[name] as number) < min) ctx.addIssue({ code: 'custom', path: [name], message: `must be at least ${what} (${min})` });
  };
  atLeast('NPA_TIMEOUT_MAX_MS', config.NPA_TIMEOUT_MS, 'NPA_TIMEOUT_MS');
  // One late heartbeat must not make a live instance look dead.
  atLeast('RECOVERY_GRACE_MS', 2 * config.HEARTBEAT_MS, '2 x HEARTBEAT_MS');
  // Twilio signs the public URL it requested: with a token but no PUBLIC_URL every Twilio request would be refused.
  if (config.TWILIO_AUTH_TOKEN !== undefined && config.PUBLIC_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'must be set with TWILIO_AUTH_TOKEN (Twilio signs the public URL)' });
  }
  // The media stream URL in our TwiML is PUBLIC_URL with https -> wss, http -> ws; Twilio streams only over wss.
  if (config.PUBLIC_URL !== undefined) {
    const { protocol, hostname } = new URL(config.PUBLIC_URL);
    if (protocol === 'http:' && !isLoopbackHost(hostname)) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'must be https:// for a host that is not loopback (the media stream would be ws://)' });
    }
  }
});

/** localhost, *.localhost, 127.0.0.0/8 or ::1: names that never leave this machine. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]' || host === '::1';
}

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** A configuration error: names the variable and what is wrong, in one line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Parse an environment (normally `process.env`) into a frozen config; throws ConfigError naming the variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid configuration: ${name}: ${issue?.message ?? 'invalid value'}`);
  }
  return Object.freeze(result.data);
}
