import { STATUS_CODES } from 'node:http';
import type { Config } from '../config.js';
import { NpaApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Lead } from '../leads/lead.js';
import { CircuitBreaker, type CircuitState, type CircuitTicket } from './circuitBreaker.js';

/** The first attempt's timeout; each further attempt of the same lead waits 3x longer, up to NPA_TIMEOUT_MAX_MS. */
export const NPA_TIMEOUT_MS = 10_000;
export const NPA_TIMEOUT_MAX_MS = 60_000;
const TIMEOUT_GROWTH = 3;
export const NPA_MAX_ATTEMPTS = 4;
/** Consecutive failed requests that open the circuit, and how long it then stays open before a probe. */
export const NPA_BREAKER_FAILURES = 5;
export const NPA_BREAKER_COOLDOWN_MS = 10_000;
/** Failed probes double the wait, up to this many times the first. */
const MAX_COOLDOWN_FACTOR = 8;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** The longest Retry-After we wait; a call's submission must not hang on a server's say-so. */
const MAX_RETRY_AFTER_MS = 30_000;

/** NpaApiError plus how many requests were sent before giving up (recorded on the failed lead). */
export class NpaSubmitError extends NpaApiError {
  constructor(
    message: string,
    status: number | undefined,
    retryable: boolean,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, status, retryable, options);
  }
}

/** Nothing was sent: the circuit is open (the API has been failing) or its one probe is out. */
export class NpaCircuitOpenError extends NpaSubmitError {
  constructor(
    /** When the circuit lets a probe through (ms since the epoch); null while a probe is out. */
    readonly retryAt: number | null,
  ) {
    super('NPA API error: not sent, the API has been failing (circuit open)', undefined, true, 0);
  }
}

export interface NpaSubmitOptions {
  channel: 'voice' | 'sms';
  /** Our reference for the conversation (CallSid, session id). */
  externalId: string;
  /** The lead's id: the same key on every attempt and every retry, so the API records the lead once. */
  idempotencyKey: string;
  /** Requests this lead has had before (earlier passes): its timeouts go on growing from there. */
  previousAttempts?: number;
  signal?: AbortSignal;
}

export interface NpaSubmitResult {
  status: number;
  /** The 2xx answer's JSON body (an object; `{}` when the body was empty). */
  body: Record<string, unknown>;
  attempts: number;
}

/** What the outbox sees of the client's circuit breaker: how many passes may start, and when the API is back. */
export interface NpaCircuit {
  readonly state: CircuitState;
  permits(): number;
  retryAt(): number | null;
  onClosed(listener: () => void): () => void;
}

export interface NpaClient {
  /** POSTs the lead; resolves on 2xx, throws NpaSubmitError (an NpaApiError) otherwise. */
  submit(lead: Lead, options: NpaSubmitOptions): Promise<NpaSubmitResult>;
  readonly circuit: NpaCircuit;
}

/** How one HTTP request to the API ended: its status, or why there was none. */
export type NpaRequestResult = number | 'timeout' | 'network' | 'aborted';

export interface NpaClientOptions {
  url: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** The first attempt's timeout (then x3 per attempt of the same lead, up to maxTimeoutMs). */
  timeoutMs?: number;
  maxTimeoutMs?: number;
  maxAttempts?: number;
  breakerFailures?: number;
  breakerCooldownMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxRetryAfterMs?: number;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Called after each HTTP request with its duration and how it ended (metrics); what it throws is ignored. */
  onRequest?: (ms: number, result: NpaRequestResult) => void;
}

/** The NPA wire payload for a lead. */
export function npaPayload(lead: Lead, channel: string, externalId: string): Record<string, unknown> {
  const [first, ...rest] = (lead.full_name ?? '').trim().split(/\s+/).filter(Boolean);
  return {
    first_name: first ?? null,
    last_name: lead.full_name === null ? null : rest.join(' '),
    full_name: lead.full_name,
    zip_code: lead.zip_code,
    phone: lead.phone,
    vehicle_year: lead.vehicle_year,
    vehicle_make: lead.vehicle_make,
    vehicle_model: lead.vehicle_model,
    channel,
    external_id: externalId,
  };
}

/** The client options from the service config. */
export function npaOptionsFrom(config: Config, logger: Logger): NpaClientOptions {
  return {
    url: config.NPA_API_URL,
    username: config.NPA_API_USERNAME,
    password: config.NPA_API_PASSWORD,
    timeoutMs: config.NPA_TIMEOUT_MS,
    maxTimeoutMs: config.NPA_TIMEOUT_MAX_MS,
    maxAttempts: config.NPA_MAX_ATTEMPTS,
    breakerFailures: config.NPA_BREAKER_FAILURES,
    breakerCooldownMs: config.NPA_BREAKER_COOLDOWN_MS,
    logger,
  };
}

/**
 * The one module that speaks to the NPA lead API: Basic auth, Idempotency-Key, a timeout per attempt, and retries
 * with exponential backoff and full jitter on network errors, timeouts, 5xx, 408 and 429 (Retry-After honoured,
 * capped). Other 4xx are final.
 *
 * A slow API must not be sent the same lead over and over: a lead's attempts wait longer each time (10 s, 30 s,
 * 60 s by default, counted across the outbox's passes), never less than twice what the API last took to answer,
 * and a circuit breaker stops sending once requests keep failing: after its wait one probe goes (with the longest
 * timeout), and its answer closes the circuit.
 */
export function createNpaClient(options: NpaClientOptions): NpaClient {
  const firstTimeoutMs = options.timeoutMs ?? NPA_TIMEOUT_MS;
  const maxTimeoutMs = Math.max(firstTimeoutMs, options.maxTimeoutMs ?? NPA_TIMEOUT_MAX_MS);
  const maxAttempts = Math.max(1, options.maxAttempts ?? NPA_MAX_ATTEMPTS);
  const baseDelayMs = options.baseDelayMs ?? BASE_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? MAX_DELAY_MS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'npa' });
  const auth =
    options.username !== undefined || options.password !== undefined
      ? `Basic ${Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64')}`
      : undefined;
  const cooldownMs = options.breakerCooldownMs ?? NPA_BREAKER_COOLDOWN_MS;
  const breaker = new CircuitBreaker({
    failureThreshold: Math.max(1, options.breakerFailures ?? NPA_BREAKER_FAILURES),
    cooldownMs,
    maxCooldownMs: cooldownMs * MAX_COOLDOWN_FACTOR,
    now,
  });
  breaker.onChange((state, previous) => {
    if (state.kind === 'open' && previous.kind !== 'open') {
      logger.warn({ event: 'npa_circuit_open', retryInMs: state.retryAt - now(), from: previous.kind }, 'NPA circuit open: not sending');
    } else if (state.kind === 'half-open') {
      logger.info({ event: 'npa_circuit_probe' }, 'NPA circuit half-open: one probe');
    } else if (state.kind === 'closed' && previous.kind !== 'closed') {
      logger.info({ event: 'npa_circuit_closed' }, 'NPA circuit closed: the API answers again');
    }
  });
  /** How long the API took to answer last time: no attempt waits less than twice that. */
  let lastAnswerMs = 0;
  const timeoutFor = (attempt: number, ticket: CircuitTicket): number => {
    if (ticket.probe) return maxTimeoutMs;
    const scheduled = firstTimeoutMs * TIMEOUT_GROWTH ** Math.min(attempt - 1, 20);
    return Math.min(maxTimeoutMs, Math.max(scheduled, 2 * lastAnswerMs));
  };

  return {
    circuit: breaker,
    async submit(lead, submitOptions) {
      if (options.url === undefined) {
        throw new NpaSubmitError('NPA API not configured: NPA_API_URL is not set', undefined, false, 0);
      }
      const endpoint = `${options.url.replace(/\/+$/, '')}/leads`;
      const body = JSON.stringify(npaPayload(lead, submitOptions.channel, submitOptions.externalId));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': submitOptions.idempotencyKey,
      };
      if (auth) headers['authorization'] = auth;
      const callerSignal = submitOptions.signal;
      const previousAttempts = Math.max(0, submitOptions.previousAttempts ?? 0);
      let lastError: NpaApiError | undefined;

      for (let attempt = 1; ; attempt++) {
        if (callerSignal?.aborted) throw aborted(attempt - 1);
        const ticket = breaker.admit();
        if (ticket === null) {
          // Nothing more goes while the circuit is open; the pass ends with what the API last said.
          if (lastError === undefined) throw new NpaCircuitOpenError(breaker.retryAt());
          throw new NpaSubmitError(lastError.message, lastError.status, lastError.retryable, attempt - 1, { cause: lastError.cause });
        }
        const timeoutMs = timeoutFor(previousAttempts + attempt, ticket);
        const startedAt = now();
        const outcome = await attemptOnce(doFetch, endpoint, headers, body, timeoutMs, callerSignal);
        try {
          options.onRequest?.(now() - startedAt, requestResult(outcome));
        } catch {
          // A metrics hook must never fail a submission.
        }
        if (outcome.kind === 'aborted') {
          breaker.abandoned(ticket);
          throw aborted(attempt);
        }
        if (outcome.kind === 'ok' || !outcome.error.retryable) {
          lastAnswerMs = now() - startedAt;
          breaker.answered(ticket);
        } else {
          if (outcome.error.status !== undefined) lastAnswerMs = now() - startedAt;
          breaker.failed(ticket);
        }
        if (outcome.kind === 'ok') return { status: outcome.status, body: outcome.body, attempts: attempt };
        const { error, retryAfterMs } = outcome;
        lastError = error;
        const final = !error.retryable || attempt >= maxAttempts;
        if (final) {
          logger.warn({ attempt, status: error.status, reason: error.message }, 'NPA submission failed');
          throw new NpaSubmitError(error.message, error.status, error.retryable, attempt, { cause: error.cause });
        }
        const backoffMs = Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
        const delayMs = retryAfterMs === undefined ? backoffMs : Math.min(retryAfterMs, maxRetryAfterMs);
        logger.info({ attempt, status: error.status, delayMs, timeoutMs }, 'NPA submission attempt failed; retrying');
        try {
          await sleep(delayMs, callerSignal);
        } catch {
          throw aborted(attempt);
        }
      }
    },
  };
}

type AttemptOutcome =
  | { kind: 'ok'; status: number; body: Record<string, unknown> }
  | { kind: 'aborted' }
  | { kind: 'error'; error: NpaApiError; retryAfterMs: number | undefined; noAnswer?: 'timeout' | 'network' };

function requestResult(outcome: AttemptOutcome): NpaRequestResult {
  if (outcome.kind === 'ok') return outcome.status;
  if (outcome.kind === 'aborted') return 'aborted';
  return outcome.error.status ?? outcome.noAnswer ?? 'network';
}

async function attemptOnce(
  doFetch: typeof fetch,
  endpoint: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(endpoint, { method: 'POST', headers, body, signal });
    text = await response.text();
  } catch (cause) {
    if (callerSignal?.aborted) return { kind: 'aborted' };
    if (timeout.aborted) {
      return { kind: 'error', error: new NpaApiError(`NPA API error: timeout after ${timeoutMs} ms`, undefined, true, { cause }), retryAfterMs: undefined, noAnswer: 'timeout' };
    }
    const code = networkCode(cause);
    return { kind: 'error', error: new NpaApiError(`NPA API error: network error (${code})`, undefined, true, { cause }), retryAfterMs: undefined, noAnswer: 'network' };
  }
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'ok', status, body: jsonObject(text) };
  const statusText = response.statusText || STATUS_CODES[status] || 'error';
  const retryable = status >= 500 || status === 408 || status === 429;
  const retryAfterMs = retryable ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
  return { kind: 'error', error: new NpaApiError(`NPA API error: ${status} ${statusText}`, status, retryable), retryAfterMs };
}

function aborted(attempts: number): NpaSubmitError {
  return new NpaSubmitError('NPA API error: submission aborted', undefined, true, attempts);
}

/** The JSON body as an object: `{}` when empty, `{ body }` for a non-object value, `{ raw }` for non-JSON text. */
function jsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { body: value };
  } catch {
    return { raw: text };
  }
}

/** Retry-After as delay-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkCode(error: unknown): string {
  // undici's fetch throws TypeError('fetch failed') with the socket error as `cause`.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
