/**
 * Hand-written scanning helpers for the audio hot path (Twilio `media`, OpenAI `response.output_audio.delta`).
 * They accept only a strict subset of JSON (strings without escapes, non-negative integers, nested objects) and
 * report -1 for anything else, so a caller can fall back to `JSON.parse` + zod: the fast path never accepts a message
 * the schema path would read differently.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ZERO = 0x30;
const NINE = 0x39;
const EQUALS = 0x3d;

/** Index of the first non-whitespace character at or after `i`. */
export function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/**
 * `s[i]` must be `"`; returns the index of the closing quote of a printable-ASCII string with no escapes, or -1.
 * An escape means the string may decode differently from its raw text, and a non-ASCII character may be one byte of
 * a UTF-8 sequence read as latin1: both are left to JSON.parse.
 */
export function plainStringEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== QUOTE) return -1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) return j;
    if (c === BACKSLASH || c < 0x20 || c > 0x7e) return -1;
  }
  return -1;
}

/** Whether `s[start, end)` equals `word` (no allocation). */
export function rangeEquals(s: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && s.startsWith(word, start);
}

/** Scratch space for validating base64 by decoding it (synchronous use only). Grows to the largest payload seen. */
let scratch = Buffer.allocUnsafe(16 * 1024);
const MAX_SCRATCH_BYTES = 1024 * 1024;

/**
 * Whether `b64` is a non-empty, strictly padded base64 string (RFC 4648 alphabet). Node's native decoder is several
 * times faster than any per-character check in JavaScript: it skips characters outside the alphabet and stops at
 * "=", so a string is valid exactly when it decodes to the length its padding implies and holds none of the URL-safe
 * letters the decoder also accepts. The decoder reads only the low byte of a character above 0xFF, so such
 * characters must be excluded: `oneByte` says the caller already knows the string has none (it was decoded from
 * bytes as latin1); otherwise it is checked here.
 */
export function isBase64(b64: string, oneByte = false): boolean {
  const len = b64.length;
  if (len === 0 || len % 4 !== 0) return false;
  const expected = base64DecodedLength(b64);
  let target = scratch;
  if (expected > scratch.length) {
    target = Buffer.allocUnsafe(expected);
    if (expected <= MAX_SCRATCH_BYTES) scratch = target;
  }
  if (target.write(b64, 0, 'base64') !== expected) return false;
  if (b64.indexOf('-') >= 0 || b64.indexOf('_') >= 0) return false;
  return oneByte || Buffer.byteLength(b64, 'utf8') === len;
}

/** The same rule as isBase64, as a regular expression for the zod schemas (they must agree). */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/** Bytes a strictly padded base64 string decodes to, without decoding it. */
export function base64DecodedLength(b64: string): number {
  const len = b64.length;
  if (len === 0) return 0;
  let pad = 0;
  if (b64.charCodeAt(len - 1) === EQUALS) pad++;
  if (b64.charCodeAt(len - 2) === EQUALS) pad++;
  return (len / 4) * 3 - pad;
}

/**
 * Parses a non-negative integer of at most 15 digits written as `digits` (no sign, no leading zeros but "0") in
 * `s[start, end)`; returns -1 when it is not one.
 */
export function parseDigits(s: string, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 15) return -1;
  if (len > 1 && s.charCodeAt(start) === ZERO) return -1;
  let n = 0;
  for (let j = start; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return n;
}

/** Index just past a bare non-negative JSON integer starting at `i` (no leading zeros, as JSON requires), or -1. */
export function digitsEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c < ZERO || c > NINE) break;
    j++;
  }
  if (j === i || (j - i > 1 && s.charCodeAt(i) === ZERO)) return -1;
  return j;
}

/**
 * A binary message as a one-byte string, for the fast paths: no UTF-8 decoding, and no character above 0xFF (see
 * isBase64). Non-ASCII bytes come out as characters 0x80-0xFF, which the fast paths refuse.
 */
export function latin1Text(raw: ArrayBuffer | Buffer | Uint8Array): string {
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('latin1');
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
}

/** Text of a raw WebSocket message, whatever form the socket library hands it in. */
export function messageText(raw: string | ArrayBuffer | Buffer | Uint8Array): string {
  if (typeof raw === 'string') return raw;
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

/** Byte length of a raw message without decoding it (strings: UTF-16 length, a close upper bound for ASCII). */
export function messageSize(raw: string | ArrayBuffer | Buffer | Uint8Array): number {
  if (typeof raw === 'string') return raw.length;
  return raw.byteLength;
}
