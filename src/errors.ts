import { DriverException } from '@mikro-orm/core';

/** Base of every error this service raises on purpose; `name` is the subclass name. */
export class AppError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input from a user or client that we refuse, with a message fit to show them. */
export class BadInputError extends AppError {}

/** A record that was asked for by id and does not exist. */
export class NotFoundError extends AppError {}

/** The NPA lead API refused or failed. `status` is the HTTP status, absent for network errors and timeouts. */
export class NpaApiError extends AppError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Extraction of a lead from a conversation failed (LLM unreachable, malformed output, timeout). */
export class ExtractionError extends AppError {}

/** The OpenAI Realtime socket could not be opened, timed out or dropped. */
export class ModelConnectionError extends AppError {}

/**
 * The one place errors become readable reasons (failed leads, logs) and HTTP statuses. Database errors are reduced
 * to their class and SQLSTATE: their messages inline the query's bound values (a transcript, a lead, a phone number).
 */
export function reasonOf(error: unknown): string {
  if (error instanceof DriverException) {
    const code = error.sqlState ?? error.code;
    return `database error: ${error.name}${code === undefined ? '' : ` (SQLSTATE ${code})`}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function httpStatusOf(error: unknown): number {
  if (error instanceof BadInputError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof NpaApiError) return 502;
  return 500;
}
