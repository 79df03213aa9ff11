import { pino, type Logger, type LoggerOptions } from 'pino';

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

/** The service's one root logger. Tests pass level 'silent'. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'psb-voice' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
