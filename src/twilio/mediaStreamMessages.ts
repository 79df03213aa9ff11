import { z } from 'zod';
import {
  BASE64_PATTERN,
  digitsEnd,
  isBase64,
  latin1Text,
  messageSize,
  messageText,
  parseDigits,
  plainStringEnd,
  rangeEquals,
  skipWs,
} from '../wire/fastJson.js';
import { storableStrings, storableText } from '../wire/storableText.js';

/**
 * Twilio Media Streams wire format (https://www.twilio.com/docs/voice/media-streams/websocket-messages): the
 * messages Twilio sends (connected, start, media, dtmf, mark, stop) and the ones we send back (media, mark, clear).
 * Pure functions; the socket code lives elsewhere.
 */

/** Largest message we read at all; a `start` with custom parameters is well under 4 KB. */
export const MAX_TWILIO_MESSAGE_CHARS = 64 * 1024;
/** Largest media payload accepted (base64 characters). Twilio sends 20 ms frames: 160 bytes, 216 characters. */
export const MAX_TWILIO_PAYLOAD_CHARS = 16 * 1024;

/** Twilio writes counters as decimal strings; accept numbers too and read them as numbers. */
const counter = z
  .union([z.string().regex(/^(0|[1-9]\d{0,14})$/), z.number().int().nonnegative()])
  .transform((v) => Number(v));

const base64Payload = z.string().max(MAX_TWILIO_PAYLOAD_CHARS).regex(BASE64_PATTERN, 'payload is not base64');

export const TwilioConnectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});

export const TwilioStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counter.optional(),
  streamSid: z.string().min(1),
  start: z.object({
    streamSid: z.string().min(1),
    accountSid: z.string(),
    // The call's key and the parameters we put in the TwiML come back here: stored with the call's session.
    callSid: z.string().min(1).transform(storableText),
    tracks: z.array(z.string()).default(['inbound']),
    customParameters: z.record(z.string(), z.string()).default({}).transform(storableStrings),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number(),
      channels: z.number(),
    }),
  }),
});

export const TwilioMediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: counter,
  streamSid: z.string().min(1),
  media: z.object({
    track: z.enum(['inbound', 'outbound']),
    chunk: counter,
    timestamp: counter,
    payload: base64Payload,
  }),
});

export const TwilioDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counter.optional(),
  streamSid: z.string().min(1),
  dtmf: z.object({ track: z.string().optional(), digit: z.string().min(1).max(1) }),
});

export const TwilioMarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: counter.optional(),
  streamSid: z.string().min(1),
  mark: z.object({ name: z.string() }),
});

export const TwilioStopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: counter.optional(),
  streamSid: z.string().min(1),
  stop: z.object({ accountSid: z.string().optional(), callSid: z.string().optional() }).optional(),
});

/** Every message Twilio sends on a Media Stream. */
export const TwilioInboundSchema = z.discriminatedUnion('event', [
  TwilioConnectedSchema,
  TwilioStartSchema,
  TwilioMediaSchema,
  TwilioDtmfSchema,
  TwilioMarkSchema,
  TwilioStopSchema,
]);

export type TwilioInbound = z.infer<typeof TwilioInboundSchema>;
export type TwilioConnected = z.infer<typeof TwilioConnectedSchema>;
export type TwilioStart = z.infer<typeof TwilioStartSchema>;
export type TwilioMedia = z.infer<typeof TwilioMediaSchema>;
export type TwilioDtmf = z.infer<typeof TwilioDtmfSchema>;
export type TwilioMark = z.infer<typeof TwilioMarkSchema>;
export type TwilioStop = z.infer<typeof TwilioStopSchema>;
export interface TwilioInvalid {
  event: 'invalid';
  reason: string;
}

/** Messages our server sends to Twilio (the fake caller checks them with this). */
export const TwilioOutboundSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('media'),
    streamSid: z.string().min(1),
    media: z.object({ payload: base64Payload }),
  }),
  z.object({ event: z.literal('mark'), streamSid: z.string().min(1), mark: z.object({ name: z.string().min(1) }) }),
  z.object({ event: z.literal('clear'), streamSid: z.string().min(1) }),
]);
export type TwilioOutbound = z.infer<typeof TwilioOutboundSchema>;

/**
 * Reads one Twilio message. Never throws: anything malformed, unknown or too large becomes `{ event: 'invalid' }`.
 * `media` frames in Twilio's own layout take a hand-written scan (no JSON.parse); everything else, and any frame the
 * scan is not sure about, goes through the zod schema.
 */
export function parseTwilioMessage(raw: string | ArrayBuffer | Buffer | Uint8Array): TwilioInbound | TwilioInvalid {
  if (messageSize(raw) > MAX_TWILIO_MESSAGE_CHARS) return { event: 'invalid', reason: 'message too large' };
  try {
    if (typeof raw === 'string') return fastTwilioMedia(raw) ?? parseTwilioMessageWithSchema(raw);
    // Bytes (uWS ArrayBuffer, ws Buffer): the fast path reads them as latin1, the schema path as UTF-8.
    return fastTwilioMedia(latin1Text(raw), true) ?? parseTwilioMessageWithSchema(messageText(raw));
  } catch {
    return { event: 'invalid', reason: 'unreadable message' };
  }
}

/** The schema path alone: JSON.parse and zod. Exported so tests can check the fast path agrees with it. */
export function parseTwilioMessageWithSchema(text: string): TwilioInbound | TwilioInvalid {
  if (text.length > MAX_TWILIO_MESSAGE_CHARS) return { event: 'invalid', reason: 'message too large' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { event: 'invalid', reason: 'malformed JSON' };
  }
  const result = TwilioInboundSchema.safeParse(json);
  if (result.success) return result.data;
  const event =
    typeof json === 'object' && json !== null && typeof (json as { event?: unknown }).event === 'string'
      ? (json as { event: string }).event
      : undefined;
  const issue = result.error.issues[0];
  const where = issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'does not match';
  return { event: 'invalid', reason: event === undefined ? `no event: ${where}` : `bad ${event.slice(0, 32)}: ${where}` };
}

/** Reads a message our server sent to Twilio (used by the fake caller). Never throws. */
export function parseTwilioOutbound(raw: string | ArrayBuffer | Buffer | Uint8Array): TwilioOutbound | TwilioInvalid {
  let json: unknown;
  try {
    json = JSON.parse(messageText(raw));
  } catch {
    return { event: 'invalid', reason: 'malformed JSON' };
  }
  const result = TwilioOutboundSchema.safeParse(json);
  return result.success ? result.data : { event: 'invalid', reason: result.error.issues[0]?.message ?? 'invalid' };
}

const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;

/**
 * Fast path for a media frame, without JSON.parse. Twilio's own layout is matched piece by piece at known offsets
 * (the common case, a few hundred nanoseconds); any other key order or spacing goes through a strict scanner over
 * `{"key":"string"|digits|{...}}` with plain strings. Both return null (fall back to the schema) on anything they
 * cannot vouch for, so whatever they return equals what the schema path would return.
 */
export function fastTwilioMedia(s: string, oneByte = false): TwilioMedia | null {
  return canonicalTwilioMedia(s, oneByte) ?? scanTwilioMedia(s, oneByte);
}

const C_HEAD = '{"event":"media","sequenceNumber":"';
const C_TRACK = '","media":{"track":"';
const C_CHUNK = '","chunk":"';
const C_TIMESTAMP = '","timestamp":"';
const C_PAYLOAD = '","payload":"';
const C_STREAM_SID = '"},"streamSid":"';

/** Twilio's layout: {"event":"media","sequenceNumber":"N","media":{"track":"T","chunk":"N","timestamp":"N","payload":"B64"},"streamSid":"S"} */
function canonicalTwilioMedia(s: string, oneByte: boolean): TwilioMedia | null {
  if (!s.startsWith(C_HEAD)) return null;
  let i = C_HEAD.length;
  let q = s.indexOf('"', i);
  const sequenceNumber = parseDigits(s, i, q);
  if (sequenceNumber < 0 || !s.startsWith(C_TRACK, q)) return null;
  i = q + C_TRACK.length;
  let track: 'inbound' | 'outbound';
  if (s.startsWith('inbound', i)) {
    track = 'inbound';
    i += 7;
  } else if (s.startsWith('outbound', i)) {
    track = 'outbound';
    i += 8;
  } else {
    return null;
  }
  if (!s.startsWith(C_CHUNK, i)) return null;
  i += C_CHUNK.length;
  q = s.indexOf('"', i);
  const chunk = parseDigits(s, i, q);
  if (chunk < 0 || !s.startsWith(C_TIMESTAMP, q)) return null;
  i = q + C_TIMESTAMP.length;
  q = s.indexOf('"', i);
  const timestamp = parseDigits(s, i, q);
  if (timestamp < 0 || !s.startsWith(C_PAYLOAD, q)) return null;
  i = q + C_PAYLOAD.length;
  q = s.indexOf('"', i);
  if (q < 0 || q - i > MAX_TWILIO_PAYLOAD_CHARS) return null;
  const payload = s.slice(i, q);
  if (!isBase64(payload, oneByte)) return null;
  if (!s.startsWith(C_STREAM_SID, q)) return null;
  i = q + C_STREAM_SID.length;
  q = plainStringEnd(s, i - 1);
  if (q <= i || q + 2 !== s.length || s.charCodeAt(q + 1) !== RBRACE) return null;
  return { event: 'media', sequenceNumber, streamSid: s.slice(i, q), media: { track, chunk, timestamp, payload } };
}

function scanTwilioMedia(s: string, oneByte: boolean): TwilioMedia | null {
  let event = false;
  let sequenceNumber = -1;
  let streamSid: string | undefined;
  let track: 'inbound' | 'outbound' | undefined;
  let chunk = -1;
  let timestamp = -1;
  let payload: string | undefined;

  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== LBRACE) return null;
  i = skipWs(s, i + 1);
  let depth = 1; // 1: top level, 2: inside "media"
  let inMedia = false;
  let sawMedia = false;
  for (;;) {
    if (s.charCodeAt(i) === RBRACE) {
      // Only an empty object closes here without a key; an empty top level or media object is not a media frame.
      return null;
    }
    const keyEnd = plainStringEnd(s, i);
    if (keyEnd < 0) return null;
    const keyStart = i + 1;
    i = skipWs(s, keyEnd + 1);
    if (s.charCodeAt(i) !== COLON) return null;
    i = skipWs(s, i + 1);
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      const valueEnd = plainStringEnd(s, i);
      if (valueEnd < 0) return null;
      const vs = i + 1;
      if (inMedia) {
        if (rangeEquals(s, keyStart, keyEnd, 'payload')) {
          if (valueEnd - vs > MAX_TWILIO_PAYLOAD_CHARS) return null;
          payload = s.slice(vs, valueEnd);
          if (!isBase64(payload, oneByte)) return null;
        } else if (rangeEquals(s, keyStart, keyEnd, 'track')) {
          if (rangeEquals(s, vs, valueEnd, 'inbound')) track = 'inbound';
          else if (rangeEquals(s, vs, valueEnd, 'outbound')) track = 'outbound';
          else return null;
        } else if (rangeEquals(s, keyStart, keyEnd, 'chunk')) {
          chunk = parseDigits(s, vs, valueEnd);
          if (chunk < 0) return null;
        } else if (rangeEquals(s, keyStart, keyEnd, 'timestamp')) {
          timestamp = parseDigits(s, vs, valueEnd);
          if (timestamp < 0) return null;
        }
      } else if (rangeEquals(s, keyStart, keyEnd, 'event')) {
        if (!rangeEquals(s, vs, valueEnd, 'media')) return null;
        event = true;
      } else if (rangeEquals(s, keyStart, keyEnd, 'sequenceNumber')) {
        sequenceNumber = parseDigits(s, vs, valueEnd);
        if (sequenceNumber < 0) return null;
      } else if (rangeEquals(s, keyStart, keyEnd, 'streamSid')) {
        if (valueEnd === vs) return null;
        streamSid = s.slice(vs, valueEnd);
      } else if (rangeEquals(s, keyStart, keyEnd, 'media')) {
        return null; // media must be an object
      }
      i = skipWs(s, valueEnd + 1);
    } else if (c === LBRACE) {
      // Only "media" may nest, once; a second "media" key or any other object goes to the schema path.
      if (inMedia || sawMedia || !rangeEquals(s, keyStart, keyEnd, 'media')) return null;
      inMedia = true;
      sawMedia = true;
      depth = 2;
      i = skipWs(s, i + 1);
      continue;
    } else {
      // A bare number: Twilio writes counters as strings, so numbers are only tolerated on keys we ignore.
      const end = digitsEnd(s, i);
      if (end < 0) return null;
      if (inMedia) {
        if (
          rangeEquals(s, keyStart, keyEnd, 'chunk') ||
          rangeEquals(s, keyStart, keyEnd, 'timestamp') ||
          rangeEquals(s, keyStart, keyEnd, 'payload') ||
          rangeEquals(s, keyStart, keyEnd, 'track')
        ) {
          return null;
        }
      } else if (
        rangeEquals(s, keyStart, keyEnd, 'event') ||
        rangeEquals(s, keyStart, keyEnd, 'sequenceNumber') ||
        rangeEquals(s, keyStart, keyEnd, 'streamSid') ||
        rangeEquals(s, keyStart, keyEnd, 'media')
      ) {
        return null;
      }
      i = skipWs(s, end);
    }
    // After a value: "," then the next key, or "}" closing the current object.
    for (;;) {
      const d = s.charCodeAt(i);
      if (d === COMMA) {
        i = skipWs(s, i + 1);
        if (s.charCodeAt(i) !== QUOTE) return null;
        break;
      }
      if (d === RBRACE) {
        if (depth === 2) {
          depth = 1;
          inMedia = false;
          i = skipWs(s, i + 1);
          continue;
        }
        // End of the top-level object: nothing may follow but whitespace.
        if (skipWs(s, i + 1) !== s.length) return null;
        if (
          !event ||
          sequenceNumber < 0 ||
          streamSid === undefined ||
          track === undefined ||
          chunk < 0 ||
          timestamp < 0 ||
          payload === undefined
        ) {
          return null;
        }
        return { event: 'media', sequenceNumber, streamSid, media: { track, chunk, timestamp, payload } };
      }
      return null;
    }
  }
}

// Outbound builders. streamSid values come from Twilio ("MZ" + 32 hex digits); anything else is JSON-escaped once.
const SAFE_ID = /^[A-Za-z0-9_.:-]*$/;
const quoted = (value: string): string => (SAFE_ID.test(value) ? `"${value}"` : JSON.stringify(value));

const MEDIA_SUFFIX = '"}}';

/**
 * A writer for one stream's outbound media frames: the JSON around the payload is built once, so each frame is a
 * single string concatenation. `payloadB64` must already be validated base64 (it comes from a parsed model event).
 */
export function twilioMediaWriter(streamSid: string): (payloadB64: string) => string {
  const prefix = `{"event":"media","streamSid":${quoted(streamSid)},"media":{"payload":"`;
  return (payloadB64) => prefix + payloadB64 + MEDIA_SUFFIX;
}

/** A mark: Twilio echoes it back once the audio sent before it has played (or when a clear empties the buffer). */
export function twilioMark(streamSid: string, name: string): string {
  return `{"event":"mark","streamSid":${quoted(streamSid)},"mark":{"name":${quoted(name)}}}`;
}

/** Empties Twilio's playback buffer (barge-in); Twilio then echoes every pending mark. */
export function twilioClear(streamSid: string): string {
  return `{"event":"clear","streamSid":${quoted(streamSid)}}`;
}
