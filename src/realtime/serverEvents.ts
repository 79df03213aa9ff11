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

/**
 * The OpenAI Realtime (GA protocol) server events the relay reads, as zod schemas. Unknown event types fall through
 * as `{ type: 'unknown' }`, known ones that do not match become `{ type: 'invalid' }`; parsing never throws.
 */

/** Largest server event we read (an audio delta of a few seconds is well under this). */
export const MAX_REALTIME_EVENT_CHARS = 4 * 1024 * 1024;

const eventId = z.string().optional();
const audioB64 = z.string().regex(BASE64_PATTERN, 'delta is not base64');
const index = z.number().int().nonnegative();

export const SessionCreatedSchema = z.object({
  type: z.literal('session.created'),
  event_id: eventId,
  session: z.record(z.string(), z.unknown()),
});
export const SessionUpdatedSchema = z.object({
  type: z.literal('session.updated'),
  event_id: eventId,
  session: z.record(z.string(), z.unknown()),
});

export const OutputAudioDeltaSchema = z.object({
  type: z.literal('response.output_audio.delta'),
  event_id: eventId,
  response_id: z.string().optional(),
  item_id: z.string().min(1),
  output_index: index.optional(),
  content_index: index,
  delta: audioB64,
});
export const OutputAudioDoneSchema = z.object({
  type: z.literal('response.output_audio.done'),
  event_id: eventId,
  response_id: z.string().optional(),
  item_id: z.string().min(1),
  output_index: index.optional(),
  content_index: index,
});
export const OutputAudioTranscriptDoneSchema = z.object({
  type: z.literal('response.output_audio_transcript.done'),
  event_id: eventId,
  response_id: z.string().optional(),
  item_id: z.string().min(1),
  output_index: index.optional(),
  content_index: index,
  transcript: z.string(),
});

export const InputTranscriptionCompletedSchema = z.object({
  type: z.literal('conversation.item.input_audio_transcription.completed'),
  event_id: eventId,
  item_id: z.string().min(1),
  content_index: index.optional(),
  transcript: z.string(),
});
export const InputTranscriptionFailedSchema = z.object({
  type: z.literal('conversation.item.input_audio_transcription.failed'),
  event_id: eventId,
  item_id: z.string().min(1),
  content_index: index.optional(),
  error: z
    .object({
      type: z.string().optional(),
      code: z.string().nullish(),
      message: z.string().optional(),
      param: z.string().nullish(),
    })
    .optional(),
});

/** The part of a conversation item the relay needs; other fields are kept loosely. */
const ConversationItemSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  role: z.string().optional(),
  status: z.string().optional(),
  name: z.string().optional(),
  call_id: z.string().optional(),
});
export type ConversationItem = z.infer<typeof ConversationItemSchema>;

export const ConversationItemAddedSchema = z.object({
  type: z.literal('conversation.item.added'),
  event_id: eventId,
  previous_item_id: z.string().nullish(),
  item: ConversationItemSchema,
});
export const ConversationItemCreatedSchema = z.object({
  type: z.literal('conversation.item.created'),
  event_id: eventId,
  previous_item_id: z.string().nullish(),
  item: ConversationItemSchema,
});
export const ConversationItemTruncatedSchema = z.object({
  type: z.literal('conversation.item.truncated'),
  event_id: eventId,
  item_id: z.string().min(1),
  content_index: index,
  audio_end_ms: z.number().nonnegative(),
});

export const SpeechStartedSchema = z.object({
  type: z.literal('input_audio_buffer.speech_started'),
  event_id: eventId,
  audio_start_ms: z.number().nonnegative(),
  item_id: z.string().min(1),
});
export const SpeechStoppedSchema = z.object({
  type: z.literal('input_audio_buffer.speech_stopped'),
  event_id: eventId,
  audio_end_ms: z.number().nonnegative(),
  item_id: z.string().min(1),
});
export const InputAudioCommittedSchema = z.object({
  type: z.literal('input_audio_buffer.committed'),
  event_id: eventId,
  item_id: z.string().min(1),
  previous_item_id: z.string().nullish(),
});

export const ResponseCreatedSchema = z.object({
  type: z.literal('response.created'),
  event_id: eventId,
  response: z.looseObject({ id: z.string().optional(), status: z.string().optional() }),
});
export const FunctionCallArgumentsDoneSchema = z.object({
  type: z.literal('response.function_call_arguments.done'),
  event_id: eventId,
  response_id: z.string().optional(),
  item_id: z.string().optional(),
  output_index: index.optional(),
  name: z.string().min(1),
  call_id: z.string().min(1),
  arguments: z.string(),
});
export const ResponseDoneSchema = z.object({
  type: z.literal('response.done'),
  event_id: eventId,
  response: z.looseObject({
    id: z.string().optional(),
    status: z.string().optional(),
    status_details: z.unknown().optional(),
    output: z.array(z.unknown()).optional(),
  }),
});
export const RealtimeErrorSchema = z.object({
  type: z.literal('error'),
  event_id: eventId,
  error: z.object({
    type: z.string().optional(),
    code: z.string().nullish(),
    message: z.string().optional(),
    param: z.string().nullish(),
    event_id: z.string().nullish(),
  }),
});

/** Every server event the relay acts on. */
export const RealtimeServerEventSchema = z.discriminatedUnion('type', [
  SessionCreatedSchema,
  SessionUpdatedSchema,
  OutputAudioDeltaSchema,
  OutputAudioDoneSchema,
  OutputAudioTranscriptDoneSchema,
  InputTranscriptionCompletedSchema,
  InputTranscriptionFailedSchema,
  ConversationItemAddedSchema,
  ConversationItemCreatedSchema,
  ConversationItemTruncatedSchema,
  SpeechStartedSchema,
  SpeechStoppedSchema,
  InputAudioCommittedSchema,
  ResponseCreatedSchema,
  FunctionCallArgumentsDoneSchema,
  ResponseDoneSchema,
  RealtimeErrorSchema,
]);
export type RealtimeServerEvent = z.infer<typeof RealtimeServerEventSchema>;
export type RealtimeServerEventType = RealtimeServerEvent['type'];
export type OutputAudioDelta = z.infer<typeof OutputAudioDeltaSchema>;

const KNOWN_TYPES: ReadonlySet<string> = new Set(RealtimeServerEventSchema.options.map((o) => o.shape.type.value));

/** An event with a `type` we do not model (rate_limits.updated, *.delta transcripts, ...): not an error. */
export interface RealtimeUnknownEvent {
  type: 'unknown';
  eventType: string;
}
export interface RealtimeInvalidEvent {
  type: 'invalid';
  reason: string;
}
export type ParsedRealtimeEvent = RealtimeServerEvent | RealtimeUnknownEvent | RealtimeInvalidEvent;

/**
 * Reads one server event. Never throws. `response.output_audio.delta` (the hot path) is scanned without JSON.parse
 * when it is plain; everything else goes through JSON.parse and the schema.
 */
export function parseRealtimeEvent(raw: string | ArrayBuffer | Buffer | Uint8Array): ParsedRealtimeEvent {
  if (messageSize(raw) > MAX_REALTIME_EVENT_CHARS) return { type: 'invalid', reason: 'event too large' };
  try {
    if (typeof raw === 'string') return fastOutputAudioDelta(raw) ?? parseRealtimeEventWithSchema(raw);
    // Bytes (the ws client's Buffer): the fast path reads them as latin1, the schema path as UTF-8.
    return fastOutputAudioDelta(latin1Text(raw), true) ?? parseRealtimeEventWithSchema(messageText(raw));
  } catch {
    return { type: 'invalid', reason: 'unreadable event' };
  }
}

/** The schema path alone (JSON.parse and zod); exported so tests can compare the fast path with it. */
export function parseRealtimeEventWithSchema(text: string): ParsedRealtimeEvent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { type: 'invalid', reason: 'malformed JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { type: 'invalid', reason: 'not an object' };
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string') return { type: 'invalid', reason: 'no type' };
  if (!KNOWN_TYPES.has(type)) return { type: 'unknown', eventType: type };
  const result = RealtimeServerEventSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? `${issue.path.join('.') || 'event'}: ${issue.message}` : 'does not match';
  return { type: 'invalid', reason: `bad ${type}: ${where}` };
}

const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;

/**
 * Fast path for `response.output_audio.delta`: a strict scan of a flat object of plain strings and non-negative
 * integers. Returns null (use the schema path) for anything else, so a non-null result equals the schema's.
 */
export function fastOutputAudioDelta(s: string, oneByte = false): OutputAudioDelta | null {
  let typeOk = false;
  let event_id: string | undefined;
  let response_id: string | undefined;
  let item_id: string | undefined;
  let output_index = -1;
  let content_index = -1;
  let delta: string | undefined;

  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== LBRACE) return null;
  i = skipWs(s, i + 1);
  for (;;) {
    const keyEnd = plainStringEnd(s, i);
    if (keyEnd < 0) return null;
    const keyStart = i + 1;
    i = skipWs(s, keyEnd + 1);
    if (s.charCodeAt(i) !== COLON) return null;
    i = skipWs(s, i + 1);
    if (s.charCodeAt(i) === QUOTE) {
      const vs = i + 1;
      let ve: number;
      if (rangeEquals(s, keyStart, keyEnd, 'delta')) {
        // The delta is the bulk of the event: find its end with indexOf, then check its alphabet.
        ve = s.indexOf('"', vs);
        if (ve < 0) return null;
        delta = s.slice(vs, ve);
        if (!isBase64(delta, oneByte)) return null;
      } else {
        ve = plainStringEnd(s, i);
        if (ve < 0) return null;
        if (rangeEquals(s, keyStart, keyEnd, 'type')) {
          // Most events are not deltas: this is where they leave, usually at the first key.
          if (!rangeEquals(s, vs, ve, 'response.output_audio.delta')) return null;
          typeOk = true;
        } else if (rangeEquals(s, keyStart, keyEnd, 'item_id')) {
          if (ve === vs) return null;
          item_id = s.slice(vs, ve);
        } else if (rangeEquals(s, keyStart, keyEnd, 'event_id')) {
          event_id = s.slice(vs, ve);
        } else if (rangeEquals(s, keyStart, keyEnd, 'response_id')) {
          response_id = s.slice(vs, ve);
        } else if (rangeEquals(s, keyStart, keyEnd, 'output_index') || rangeEquals(s, keyStart, keyEnd, 'content_index')) {
          return null;
        }
      }
      i = skipWs(s, ve + 1);
    } else {
      const end = digitsEnd(s, i);
      if (end < 0) return null;
      if (rangeEquals(s, keyStart, keyEnd, 'output_index')) {
        output_index = parseDigits(s, i, end);
        if (output_index < 0) return null;
      } else if (rangeEquals(s, keyStart, keyEnd, 'content_index')) {
        content_index = parseDigits(s, i, end);
        if (content_index < 0) return null;
      } else if (
        rangeEquals(s, keyStart, keyEnd, 'type') ||
        rangeEquals(s, keyStart, keyEnd, 'item_id') ||
        rangeEquals(s, keyStart, keyEnd, 'delta') ||
        rangeEquals(s, keyStart, keyEnd, 'event_id') ||
        rangeEquals(s, keyStart, keyEnd, 'response_id')
      ) {
        return null;
      }
      i = skipWs(s, end);
    }
    const d = s.charCodeAt(i);
    if (d === COMMA) {
      i = skipWs(s, i + 1);
      continue;
    }
    if (d !== RBRACE || skipWs(s, i + 1) !== s.length) return null;
    if (!typeOk || item_id === undefined || content_index < 0 || delta === undefined) return null;
    const event: OutputAudioDelta = { type: 'response.output_audio.delta', item_id, content_index, delta };
    if (event_id !== undefined) event.event_id = event_id;
    if (response_id !== undefined) event.response_id = response_id;
    if (output_index >= 0) event.output_index = output_index;
    return event;
  }
}
