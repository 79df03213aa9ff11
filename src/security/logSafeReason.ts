import { reasonOf } from '../errors.js';

/** A reason fit for a log line: `reasonOf`, which already reduces database errors to class and SQLSTATE. */
export function logSafeReason(error: unknown): string {
  return reasonOf(error);
}
