import { ConnectionException, DriverException } from '@mikro-orm/core';

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

/** The caller is not signed in, or proved no identity we accept (HTTP 401). */
export class UnauthorizedError extends AppError {}

/** The caller must wait `retryAfterMs` before trying again (HTTP 429, with Retry-After). */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

/** Socket errors of a database that cannot be reached (node-postgres passes them through as they are). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The one place errors become readable reasons (failed leads, logs) and HTTP statuses. Database errors are reduced
 * to their class and SQLSTATE: their messages inline the query's bound values (a transcript, a lead, a phone number).
 */
export function reasonOf(error: unknown): string {
  if (error instanceof DriverException) {
    const code = error.sqlState ?? error.code;
    // MikroORM keeps a socket error's code (ECONNREFUSED) where a SQLSTATE would be.
    const label = code === undefined ? '' : NETWORK_CODES.has(code) ? ` (${code})` : ` (SQLSTATE ${code})`;
    return `database error: ${error.name}${label}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * What node-postgres and knex say when a connection dies or cannot be had; MikroORM wraps these in a DriverException
 * with no SQLSTATE, so their message is all there is to go by.
 */
const CONNECTION_MESSAGES =
  /Connection terminated|Connection ended|connection timeout|not queryable|Timeout acquiring a connection|Unable to acquire a connection|Transaction query already complete/i;

/**
 * Whether a database error is connection-class: the database could not be reached or could not take the write now,
 * and the same write can succeed later (the lead is then spooled and replayed). SQLSTATE classes 08 (connection;
 * but not 08P01, which is what a NUL in a text parameter produces: the data's fault, the connection is fine), 57P0x
 * (shutdown, cannot connect now), 57014 (statement timeout), 53 (insufficient resources: disk full, too many
 * connections) and 40 (serialization failure, deadlock); refused or reset sockets, timeouts, knex's pool timeout,
 * MikroORM's ConnectionException. Anything else (a data exception, a constraint, a bug) would fail the same way
 * again: the lead is recorded as failed with the reason instead.
 */
export function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ConnectionException) return true;
    const { code, sqlState } = e as { code?: unknown; sqlState?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    // MikroORM keeps the SQLSTATE in `code` (`sqlState` is mostly unset).
    const state = typeof sqlState === 'string' ? sqlState : typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    if (state !== undefined) return isTransientSqlState(state);
    if (e.name === 'KnexTimeoutError' || CONNECTION_MESSAGES.test(e.message)) return true;
  }
  return false;
}

function isTransientSqlState(state: string): boolean {
  if (state === '08P01') return false;
  return /^(08|53|40)/.test(state) || /^57P0[1-5]$/.test(state) || state === '57014';
}

export function httpStatusOf(error: unknown): number {
  if (error instanceof BadInputError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof NpaApiError) return 502;
  return 500;
}
