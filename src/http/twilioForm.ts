import type { Config } from '../config.js';
import type { Metrics } from './metrics.js';
import { httpUrlFor, verifyTwilioSignature } from '../twilio/signature.js';
import { PayloadTooLargeError, readBody, RequestAbortedError } from './readBody.js';
import { respondText } from './respond.js';
import type { HttpRequest, HttpResponse } from './uws.js';

/** Twilio's voice webhooks are a few hundred bytes of form data. */
export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024;

/** What a Twilio webhook route copies from `req` before its first await (uWS forgets `req` after the callback). */
export interface TwilioRequestHead {
  /** The URL Twilio requested and signed; null when it cannot be known (production without PUBLIC_URL). */
  url: string | null;
  /** Our public origin for URLs in TwiML, without a trailing slash. */
  base: string;
  signature: string;
  contentType: string;
}

/**
 * Reads the request head. With a Twilio auth token the URL comes from PUBLIC_URL only, never from the request's
 * Host header or query string: a signature captured for another host, path or query then fails. Without a token
 * (development) the Host header stands in for PUBLIC_URL.
 */
export function twilioRequestHead(config: Config, req: HttpRequest, path: string): TwilioRequestHead {
  const signature = req.getHeader('x-twilio-signature');
  const contentType = req.getHeader('content-type');
  const publicUrl = config.PUBLIC_URL ?? (config.TWILIO_AUTH_TOKEN === undefined ? `http://${req.getHeader('host') || 'localhost'}` : undefined);
  if (publicUrl === undefined) return { url: null, base: '', signature, contentType };
  try {
    const url = hasQuery(req) ? null : httpUrlFor(publicUrl, path);
    return { url, base: httpUrlFor(publicUrl, ''), signature, contentType };
  } catch {
    // A Host header that is no host (development only: PUBLIC_URL is validated at start-up).
    return { url: null, base: 'http://localhost', signature, contentType };
  }
}

/** Reads a form-encoded Twilio webhook and checks its signature; answers the error itself and returns null. */
export async function readTwilioForm(
  deps: { config: Config; metrics: Metrics },
  res: HttpResponse,
  state: { aborted: boolean },
  head: TwilioRequestHead,
): Promise<Record<string, string> | null> {
  if (!head.contentType.startsWith('application/x-www-form-urlencoded')) {
    respondText(res, state, 415, 'expected application/x-www-form-urlencoded');
    return null;
  }
  let body: Buffer;
  try {
    body = await readBody(res, MAX_WEBHOOK_BODY_BYTES, state);
  } catch (error) {
    if (error instanceof RequestAbortedError) return null;
    if (error instanceof PayloadTooLargeError) respondText(res, state, 413, 'body too large');
    else respondText(res, state, 400, 'unreadable body');
    return null;
  }
  const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  const token = deps.config.TWILIO_AUTH_TOKEN;
  if (
    token !== undefined &&
    (head.url === null || !verifyTwilioSignature({ authToken: token, signature: head.signature, url: head.url, params }))
  ) {
    deps.metrics.count('twilio_signature_rejected_total');
    respondText(res, state, 403, 'invalid signature');
    return null;
  }
  return params;
}

/** Whether the request URL has a query string (uWS returns undefined, not '', when it has none). */
export function hasQuery(req: HttpRequest): boolean {
  const query: string | undefined = req.getQuery();
  return query !== undefined && query !== '';
}
