import twilio from 'twilio';

/** Twilio request signatures and the public URLs they are computed over; the paths come from the caller. */

export interface SignatureCheck {
  authToken: string;
  /** The X-Twilio-Signature header; missing or empty fails. */
  signature: string | undefined | null;
  /** The full URL Twilio requested, as Twilio saw it (public scheme and host). */
  url: string;
  /** Form parameters of a POST webhook; `{}` for a WebSocket upgrade. */
  params?: Record<string, string | string[]>;
}

/** Whether the signature is Twilio's for this URL and parameters. Never throws. */
export function verifyTwilioSignature(check: SignatureCheck): boolean {
  if (!check.signature || !check.authToken) return false;
  try {
    return twilio.validateRequest(check.authToken, check.signature, check.url, check.params ?? {});
  } catch {
    return false;
  }
}

/** Scheme, host and path prefix of `PUBLIC_URL` (kept for a service behind a path-routing proxy), no trailing slash. */
function base(publicUrl: string): { protocol: string; host: string; pathname: string } {
  const url = new URL(publicUrl);
  return { protocol: url.protocol, host: url.host, pathname: url.pathname.replace(/\/+$/, '') };
}

/**
 * The Media Streams URL of `path` under `PUBLIC_URL`, for the TwiML and for checking the upgrade's signature:
 * https -> wss (http -> ws locally).
 */
export function streamUrlFor(publicUrl: string, path: string): string {
  const url = base(publicUrl);
  const scheme = url.protocol === 'http:' || url.protocol === 'ws:' ? 'ws:' : 'wss:';
  return `${scheme}//${url.host}${url.pathname}${path}`;
}

/** The https (http locally) URL of one of our webhook paths under `PUBLIC_URL`: what Twilio requests and signs. */
export function httpUrlFor(publicUrl: string, path: string): string {
  const url = base(publicUrl);
  const scheme = url.protocol === 'http:' || url.protocol === 'ws:' ? 'http:' : 'https:';
  return `${scheme}//${url.host}${url.pathname}${path}`;
}
