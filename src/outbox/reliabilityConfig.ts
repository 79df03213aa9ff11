import type { Config } from '../config.js';

/** The durability knobs: part of the one config (src/config.ts); tests may override some through bootstrap. */
export const RELIABILITY_KEYS = [
  'DRAIN_TIMEOUT_MS',
  'OUTBOX_POLL_MS',
  'OUTBOX_MAX_ATTEMPTS',
  'OUTBOX_RETRY_BASE_MS',
  'OUTBOX_LEASE_MS',
  'RECOVERY_GRACE_MS',
  'RECOVERY_SWEEP_MS',
  'HEARTBEAT_MS',
] as const;

export type ReliabilityConfig = Readonly<Pick<Config, (typeof RELIABILITY_KEYS)[number]>>;

/** The reliability part of a config. */
export function reliabilityOf(config: Config): ReliabilityConfig {
  return Object.freeze(Object.fromEntries(RELIABILITY_KEYS.map((key) => [key, config[key]])) as ReliabilityConfig);
}
