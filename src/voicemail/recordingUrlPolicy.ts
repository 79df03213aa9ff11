/**
 * Where our Twilio credentials may go. The RecordingUrl arrives in a webhook body; fetching whatever it names with
 * Basic auth would hand AccountSid:AuthToken to any host whose URL got in there, and let it point our server at
 * internal addresses (SSRF carrying our credentials). So the URL must name one of our own account's recordings
 * under the API base (https://api.twilio.com; a local fake's base in tests), compared as a parsed origin and path,
 * never as a string prefix: "https://api.twilio.com.evil.example/..." and "https://api.twilio.com@evil.example/..."
 * both start with "https://api.twilio.com".
 */

export const TWILIO_API_BASE = 'https://api.twilio.com';

/** A URL we may request, and whether the Basic credentials go with it; or why not. */
export type UrlVerdict = { ok: true; url: URL; withCredentials: boolean } | { ok: false; reason: string };

/** A recording's resource path as Twilio writes it in RecordingUrl (no extension, no query). */
const RECORDING_PATH = /^\/2010-04-01\/Accounts\/(AC[A-Za-z0-9]{1,64})\/Recordings\/RE[A-Za-z0-9]{1,64}$/;

/** The `.wav` media URL of a webhook's RecordingUrl, when it names a recording of `accountSid` under `apiBase`. */
export function recordingWavUrl(recordingUrl: string, allowed: { apiBase: string; accountSid: string }): UrlVerdict {
  const base = parseUrl(allowed.apiBase);
  if (base === null) return { ok: false, reason: 'the API base is not a URL' };
  const url = parseUrl(recordingUrl);
  if (url === null) return { ok: false, reason: 'not a URL' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'the URL carries credentials' };
  if (url.origin !== base.origin) return { ok: false, reason: 'not the Twilio API host' };
  if (url.search !== '' || url.hash !== '') return { ok: false, reason: 'the URL has a query or fragment' };
  const basePath = base.pathname.replace(/\/+$/, '');
  if (!url.pathname.startsWith(`${basePath}/`)) return { ok: false, reason: 'not under the API base path' };
  const match = RECORDING_PATH.exec(url.pathname.slice(basePath.length));
  if (match === null) return { ok: false, reason: 'not a recording resource path' };
  if (match[1] !== allowed.accountSid) return { ok: false, reason: 'a recording of another account' };
  const wav = new URL(url.href);
  wav.pathname = `${url.pathname}.wav`;
  return { ok: true, url: wav, withCredentials: true };
}

/**
 * Where a redirect from `from` may lead. Twilio answers http with a redirect to https, and may send the media
 * itself from a signed URL on another host, which needs no credentials. So: the API's own origin keeps the
 * credentials; any other https URL is followed without them (a signed URL is its own authorization); anything else
 * (plain http elsewhere, a downgrade from https, credentials in the URL) is refused.
 */
export function redirectTarget(from: URL, location: string | null, apiBase: string): UrlVerdict {
  if (location === null || location.trim() === '') return { ok: false, reason: 'a redirect without a Location' };
  const base = parseUrl(apiBase);
  if (base === null) return { ok: false, reason: 'the API base is not a URL' };
  const target = parseUrl(location, from);
  if (target === null) return { ok: false, reason: 'a redirect to something that is not a URL' };
  if (target.username !== '' || target.password !== '') return { ok: false, reason: 'a redirect URL with credentials' };
  if (target.origin === base.origin) return { ok: true, url: target, withCredentials: true };
  if (target.protocol === 'https:') return { ok: true, url: target, withCredentials: false };
  return { ok: false, reason: 'a redirect to a non-https URL on another origin' };
}

function parseUrl(text: string, relativeTo?: URL): URL | null {
  try {
    const url = new URL(text, relativeTo);
    // Only http(s) URLs have an origin to compare (file: and data: URLs all share the opaque origin "null").
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}
