import type {
  ConversationItemCreateEvent,
  ConversationItemTruncateEvent,
  ResponseCreateEvent,
} from 'openai/resources/realtime/realtime';

/**
 * Builders for the OpenAI Realtime client events the relay sends, each returning the wire string. Shapes are checked
 * against the openai package's GA types with `satisfies`.
 */

const APPEND_PREFIX = '{"type":"input_audio_buffer.append","audio":"';
const APPEND_SUFFIX = '"}';

/**
 * `input_audio_buffer.append` from a template: the caller's base64 mu-law payload is forwarded verbatim, without
 * decoding or JSON.stringify. `audioB64` must be validated base64 (it comes from a parsed Twilio media frame).
 */
export function inputAudioAppend(audioB64: string): string {
  return APPEND_PREFIX + audioB64 + APPEND_SUFFIX;
}

/** Tells the model how much of its audio item the caller heard, so its context matches what was said (barge-in). */
export function conversationItemTruncate(itemId: string, contentIndex: number, audioEndMs: number): string {
  const event = {
    type: 'conversation.item.truncate',
    item_id: itemId,
    content_index: contentIndex,
    audio_end_ms: Math.max(0, Math.floor(audioEndMs)),
  } satisfies ConversationItemTruncateEvent;
  return JSON.stringify(event);
}

/** The result of a function call (e.g. `end_call`), as a conversation item. */
export function functionCallOutput(callId: string, output: string): string {
  const event = {
    type: 'conversation.item.create',
    item: { type: 'function_call_output', call_id: callId, output },
  } satisfies ConversationItemCreateEvent;
  return JSON.stringify(event);
}

/** Asks the model to respond; `instructions` override the session's for this one response (e.g. the greeting). */
export function responseCreate(options: { instructions?: string } = {}): string {
  const event: ResponseCreateEvent =
    options.instructions === undefined
      ? { type: 'response.create' }
      : { type: 'response.create', response: { instructions: options.instructions } };
  return JSON.stringify(event);
}
