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
 * `s[i]` must be `"`; returns the index of the closing quote of a string with no escapes and no control characters,
 * or -1 (an escape means the string may decode differently from its raw text: leave it to JSON.parse).
 */
export function plainStringEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== QUOTE) return -1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) return j;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/** Whether `s[start, end)` equals `word` (no allocation). */
export function rangeEquals(s: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && s.startsWith(word, start);
}

/** Whether `s[start, end)` is a non-empty, strictly padded base64 string (RFC 4648 alphabet). */
export function isBase64Range(s: string, start: number, end: number): boolean {
  const len = end - start;
  if (len <= 0 || len % 4 !== 0) return false;
  let j = start;
  for (; j < end; j++) {
    const c = s.charCodeAt(j);
    // A-Z a-z 0-9 + /
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= ZERO && c <= NINE) || c === 0x2b || c === 0x2f) {
      continue;
    }
    break;
  }
  if (j === end) return true;
  // Padding: "=" or "==" at the very end only.
  if (j === end - 1) return s.charCodeAt(j) === EQUALS;
  if (j === end - 2) return s.charCodeAt(j) === EQUALS && s.charCodeAt(j + 1) === EQUALS;
  return false;
}

/** The same rule as isBase64Range, as a regular expression for the zod schemas (they must agree). */
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
