import { STATUS_CODES } from 'node:http';
import { AppError } from '../errors.js';
import { recordingWavUrl, redirectTarget, TWILIO_API_BASE, type UrlVerdict } from './recordingUrlPolicy.js';

export { TWILIO_API_BASE } from './recordingUrlPolicy.js';

/** OpenAI's upload limit for a transcription (26,214,400 bytes): a larger recording could not be transcribed. */
export const TWILIO_RECORDING_MAX_BYTES = 25 * 1024 * 1024;
/** The whole download, redirects and body included. A 2-minute message is about 1.9 MB of 8 kHz 16-bit WAV. */
export const TWILIO_RECORDING_TIMEOUT_MS = 30_000;
/** Twilio redirects at most twice (http to https, then to the media); more is a loop. */
export const TWILIO_RECORDING_MAX_REDIRECTS = 3;

/** How a download failed; `retryable` on the error says whether the same request may succeed later. */
export type TwilioRecordingFailure =
  | 'url_refused'
  | 'redirect_refused'
  | 'unauthorized'
  | 'not_found'
  | 'too_large'
  | 'wrong_content_type'
  | 'http_status'
  | 'timeout'
  | 'network'
  | 'aborted';

/** A recording could not be fetched. Messages name no URL: it holds our AccountSid. */
export class TwilioRecordingError extends AppError {
  constructor(
    readonly kind: TwilioRecordingFailure,
    message: string,
    readonly retryable: boolean,
    readonly status: number | undefined = undefined,
    options?: { cause?: unknown },
  ) {
    super(`Twilio recording: ${message}`, options);
  }
}

export interface FetchTwilioRecordingOptions {
  /** The webhook's RecordingUrl, as Twilio sent it (no extension). */
  recordingUrl: string;
  accountSid: string;
  authToken: string;
  signal?: AbortSignal;
  /** Reading stops, and the download fails, past this many bytes (default TWILIO_RECORDING_MAX_BYTES). */
  maxBytes?: number;
  /** Default TWILIO_RECORDING_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Where recordings may be fetched from, with our credentials (default https://api.twilio.com; see recordingUrlPolicy.ts). */
  apiBase?: string;
}

export interface TwilioRecording {
  audio: Buffer;
  contentType: 'audio/wav';
}

const WAV_TYPES = new Set(['audio/x-wav', 'audio/wav', 'audio/wave', 'audio/vnd.wave']);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads a recording as WAV (`GET {RecordingUrl}.wav`, Basic auth). Redirects are followed by hand, not by
 * fetch: each hop is checked (recordingUrlPolicy.ts) and the credentials go only to the API's own origin. Node's
 * fetch (undici 6) does drop Authorization on a cross-origin redirect, but it also follows a downgrade to http and
 * any host; here no hop escapes the policy whatever the runtime does.
 */
export async function fetchTwilioRecording(options: FetchTwilioRecordingOptions): Promise<TwilioRecording> {
  const apiBase = options.apiBase ?? TWILIO_API_BASE;
  const maxBytes = options.maxBytes ?? TWILIO_RECORDING_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? TWILIO_RECORDING_TIMEOUT_MS;
  const first = recordingWavUrl(options.recordingUrl, { apiBase, accountSid: options.accountSid });
  if (!first.ok) throw new TwilioRecordingError('url_refused', `URL refused: ${first.reason}`, false);
  if (options.signal?.aborted) throw new TwilioRecordingError('aborted', 'aborted', true);

  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  try {
    let target: Extract<UrlVerdict, { ok: true }> = first;
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { accept: 'audio/x-wav, audio/wav' };
      if (target.withCredentials) headers['authorization'] = authorization;
      const response = await fetch(target.url, { headers, redirect: 'manual', signal });
      if (REDIRECT_STATUSES.has(response.status)) {
        discard(response);
        if (redirects >= TWILIO_RECORDING_MAX_REDIRECTS) {
          throw new TwilioRecordingError('redirect_refused', 'too many redirects', false, response.status);
        }
        const next = redirectTarget(target.url, response.headers.get('location'), apiBase);
        if (!next.ok) throw new TwilioRecordingError('redirect_refused', `redirect refused: ${next.reason}`, false, response.status);
        target = next;
        continue;
      }
      return { audio: await readRecording(response, maxBytes), contentType: 'audio/wav' };
    }
  } catch (error) {
    if (error instanceof TwilioRecordingError) throw error;
    if (options.signal?.aborted) throw new TwilioRecordingError('aborted', 'aborted', true, undefined, { cause: error });
    if (timeout.aborted) throw new TwilioRecordingError('timeout', `no recording within ${timeoutMs} ms`, true, undefined, { cause: error });
    throw new TwilioRecordingError('network', 'network error', true, undefined, { cause: error });
  }
}

/** The body of a final (non-redirect) answer, checked: status, type, size, and that it is a WAV file. */
async function readRecording(response: Response, maxBytes: number): Promise<Buffer> {
  const { status } = response;
  if (status < 200 || status > 299) {
    discard(response);
    const text = `${status} ${response.statusText || STATUS_CODES[status] || 'error'}`;
    if (status === 401 || status === 403) throw new TwilioRecordingError('unauthorized', text, false, status);
    // A recording can take a moment to be processed after the webhook: worth asking again later.
    if (status === 404) throw new TwilioRecordingError('not_found', text, true, status);
    throw new TwilioRecordingError('http_status', text, status >= 500 || status === 408 || status === 429, status);
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!WAV_TYPES.has(type)) {
    discard(response);
    throw new TwilioRecordingError('wrong_content_type', `not audio/wav (${type || 'no content type'})`, false, status);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    discard(response);
    throw new TwilioRecordingError('too_large', `larger than ${maxBytes} bytes`, false, status);
  }
  const audio = await readAtMost(response, maxBytes);
  if (audio.length < 12 || audio.toString('latin1', 0, 4) !== 'RIFF' || audio.toString('latin1', 8, 12) !== 'WAVE') {
    throw new TwilioRecordingError('wrong_content_type', 'the body is not a WAV file', false, status);
  }
  return audio;
}

/** Reads the body, but stops (and drops the connection) as soon as it passes `maxBytes`. */
async function readAtMost(response: Response, maxBytes: number): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined);
      throw new TwilioRecordingError('too_large', `larger than ${maxBytes} bytes`, false, response.status);
    }
    chunks.push(value);
  }
}

/** Lets go of a body we will not read, so its connection is not held. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}
