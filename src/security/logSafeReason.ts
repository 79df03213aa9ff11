import { DriverException } from '@mikro-orm/core';
import { reasonOf } from '../errors.js';

/**
 * A reason fit for a log line. Database errors are reduced to their class and SQLSTATE: their messages carry the
 * query with its bound values inlined (a transcript, a lead, a phone number) and PostgreSQL's own text can quote
 * the offending value. Everything else is `reasonOf`.
 */
export function logSafeReason(error: unknown): string {
  if (error instanceof DriverException) {
    const code = error.sqlState ?? error.code;
    return `${error.name}${code === undefined ? '' : ` (SQLSTATE ${code})`}`;
  }
  return reasonOf(error);
}
