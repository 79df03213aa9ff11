import { z } from 'zod';
import { ConfigError } from '../config.js';

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The durability knobs. They belong in src/config.ts (ConfigSchema); until they are merged there, the entry point
 * parses them from the same environment with this schema, once, and passes them to bootstrap.
 */
export const ReliabilitySchema = z.object({
  /** How long SIGTERM lets live calls finish before the process stops anyway. */
  DRAIN_TIMEOUT_MS: ms(30_000),
  /** How often the outbox worker looks for due leads. */
  OUTBOX_POLL_MS: ms(1_000),
  /** Worker passes a lead gets before it is a failed lead. */
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  /** First backoff between passes (then x4 per pass, capped at 10 min). */
  OUTBOX_RETRY_BASE_MS: ms(10_000),
  /** A voice session not updated for this long, and not live here, was left by a dead process. */
  RECOVERY_GRACE_MS: ms(90_000),
  /** How often the recovery sweep and the spool replay run. */
  RECOVERY_SWEEP_MS: ms(15_000),
  /** How often a live call touches its session row, so other instances' sweeps leave it alone. */
  HEARTBEAT_MS: ms(20_000),
});

export type ReliabilityConfig = Readonly<z.infer<typeof ReliabilitySchema>>;

export const DEFAULT_RELIABILITY: ReliabilityConfig = Object.freeze(ReliabilitySchema.parse({}));

/** Parses the durability variables; throws ConfigError naming the variable, like parseConfig. */
export function parseReliabilityConfig(env: Record<string, string | undefined>): ReliabilityConfig {
  const result = ReliabilitySchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid value'}`);
  }
  return Object.freeze(result.data);
}
