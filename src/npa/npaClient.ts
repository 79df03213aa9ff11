import { STATUS_CODES } from 'node:http';
import type { Config } from '../config.js';
import { NpaApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Lead } from '../leads/lead.js';

export const NPA_TIMEOUT_MS = 10_000;
export const NPA_MAX_ATTEMPTS = 4;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** The longest Retry-After we wait; a call's submission must not hang on a server's say-so. */
const MAX_RETRY_AFTER_MS = 30_000;

/** NpaApiError plus how many attempts were made before giving up (recorded on the failed lead). */
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

export interface NpaSubmitOptions {
  channel: 'voice' | 'sms';
  /** Our reference for the conversation (CallSid, session id). */
  externalId: string;
  /** The lead's id: the same key on every attempt and every retry, so the API records the lead once. */
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface NpaSubmitResult {
  status: number;
  /** The 2xx answer's JSON body (an object; `{}` when the body was empty). */
  body: Record<string, unknown>;
  attempts: number;
}

export interface NpaClient {
  /** POSTs the lead; resolves on 2xx, throws NpaSubmitError (an NpaApiError) otherwise. */
  submit(lead: Lead, options: NpaSubmitOptions): Promise<NpaSubmitResult>;
}

export interface NpaClientOptions {
  url: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxRetryAfterMs?: number;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
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
    maxAttempts: config.NPA_MAX_ATTEMPTS,
    logger,
  };
}

/**
 * The one module that speaks to the NPA lead API: Basic auth, Idempotency-Key, a timeout per attempt, and retries
 * with exponential backoff and full jitter on network errors, timeouts, 5xx, 408 and 429 (Retry-After honoured,
 * capped). Other 4xx are final.
 */
export function createNpaClient(options: NpaClientOptions): NpaClient {
  const timeoutMs = options.timeoutMs ?? NPA_TIMEOUT_MS;
  const maxAttempts = Math.max(1, options.maxAttempts ?? NPA_MAX_ATTEMPTS);
  const baseDelayMs = options.baseDelayMs ?? BASE_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? MAX_DELAY_MS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const logger = options.logger.child({ component: 'npa' });
  const auth =
    options.username !== undefined || options.password !== undefined
      ? `Basic ${Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64')}`
      : undefined;

  return {
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

      for (let attempt = 1; ; attempt++) {
        if (callerSignal?.aborted) throw aborted(attempt - 1);
        const outcome = await attemptOnce(doFetch, endpoint, headers, body, timeoutMs, callerSignal);
        if (outcome.kind === 'ok') return { status: outcome.status, body: outcome.body, attempts: attempt };
        if (outcome.kind === 'aborted') throw aborted(attempt);
        const { error, retryAfterMs } = outcome;
        const final = !error.retryable || attempt >= maxAttempts;
        if (final) {
          logger.warn({ attempt, status: error.status, reason: error.message }, 'NPA submission failed');
          throw new NpaSubmitError(error.message, error.status, error.retryable, attempt, { cause: error.cause });
        }
        const backoffMs = Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
        const delayMs = retryAfterMs === undefined ? backoffMs : Math.min(retryAfterMs, maxRetryAfterMs);
        logger.info({ attempt, status: error.status, delayMs }, 'NPA submission attempt failed; retrying');
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
  | { kind: 'error'; error: NpaApiError; retryAfterMs: number | undefined };

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
      return { kind: 'error', error: new NpaApiError(`NPA API error: timeout after ${timeoutMs} ms`, undefined, true, { cause }), retryAfterMs: undefined };
    }
    const code = networkCode(cause);
    return { kind: 'error', error: new NpaApiError(`NPA API error: network error (${code})`, undefined, true, { cause }), retryAfterMs: undefined };
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
