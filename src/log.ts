import { pino, type Logger, type LoggerOptions } from 'pino';
import { reasonOf } from './errors.js';

export type { Logger };

/**
 * Paths that may carry personal data. Messages are static strings; values that could identify a caller sit in
 * structured fields, and these paths are censored before a line is written.
 */
export const REDACT_PATHS = [
  'from',
  'to',
  'phone',
  'callerPhone',
  'caller',
  'full_name',
  'name',
  'text',
  'transcript',
  'lead',
  'lead_data',
  '*.from',
  '*.phone',
  '*.callerPhone',
  '*.full_name',
  '*.text',
  '*.transcript',
  '*.lead',
  '*.lead_data',
];

/**
 * The fields a log line may carry: everything else is dropped (and named in `dropped`), at every depth, so a lead,
 * a transcript or a phone number handed to the logger by mistake never reaches the output. A new field is added
 * here on purpose, with a look at what it can hold.
 */
export const LOG_FIELDS: ReadonlySet<string> = new Set([
  // what happened
  'event', 'state', 'phase', 'endReason', 'outcome', 'complete', 'missing', 'errors', 'source', 'fields', 'kind',
  'status', 'code', 'errorType', 'route', 'signal', 'component', 'disputed', 'reasked', 'policy', 'field',
  // which thing (ids and references, never personal data)
  'callSid', 'leadId', 'sessionId', 'recordingSid', 'failedLeads', 'channel', 'model', 'file', 'migrations',
  'database', 'port', 'url', 'stalePid', 'instanceId', 'key', 'store',
  // how much, how long
  'attempt', 'attempts', 'npaAttempts', 'pass', 'passes', 'maxAttempts', 'delayMs', 'durationMs', 'live',
  'replayed', 'remaining', 'recovered', 'count', 'transport', 'bytes', 'freed', 'held', 'left', 'requeued', 'setAside',
  'spooled', 'stored', 'tries', 'due', 'retryInMs', 'timeoutMs', 'from', 'releasedClaims', 'retentionDays',
  // why (reasons name the problem, not the value: src/leads/problems.ts, reasonOf)
  'err', 'reason', 'why', 'driver',
]);

type LogValue = unknown;

/** `value` as a log line may hold it: allow-listed keys only (recursively), errors as their reason. */
function allowListed(value: LogValue, dropped: Set<string>, depth = 0): LogValue {
  if (value instanceof Error) return reasonOf(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => allowListed(item, dropped, depth + 1));
  const out: Record<string, LogValue> = {};
  for (const [key, item] of Object.entries(value)) {
    if (LOG_FIELDS.has(key)) out[key] = allowListed(item, dropped, depth + 1);
    else dropped.add(key);
  }
  return out;
}

/** A log line's own fields, allow-listed; the names of what was left out are kept, their values never. */
export function logFields(object: Record<string, LogValue>): Record<string, LogValue> {
  const dropped = new Set<string>();
  const out = allowListed(object, dropped) as Record<string, LogValue>;
  if (dropped.size > 0) out.dropped = [...dropped].sort();
  return out;
}

/** The service's one root logger. Tests pass level 'silent'. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'psb-voice' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { log: logFields },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
