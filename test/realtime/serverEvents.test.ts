import { describe, expect, it } from 'vitest';
import {
  fastOutputAudioDelta,
  parseRealtimeEvent,
  parseRealtimeEventWithSchema,
} from '../../src/realtime/serverEvents.js';

const DELTA = Buffer.alloc(800, 0x7f).toString('base64');
const deltaEvent = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'response.output_audio.delta',
    event_id: 'event_1',
    response_id: 'resp_1',
    item_id: 'item_A',
    output_index: 0,
    content_index: 0,
    delta: DELTA,
    ...over,
  });

describe('parseRealtimeEvent: response.output_audio.delta fast path', () => {
  it('scans a delta and agrees with the schema path', () => {
    const raw = deltaEvent();
    const fast = fastOutputAudioDelta(raw);
    expect(fast).toEqual({
      type: 'response.output_audio.delta',
      event_id: 'event_1',
      response_id: 'resp_1',
      item_id: 'item_A',
      output_index: 0,
      content_index: 0,
      delta: DELTA,
    });
    expect(parseRealtimeEventWithSchema(raw)).toEqual(fast);
    expect(parseRealtimeEvent(Buffer.from(raw))).toEqual(fast);
  });

  it('agrees with the schema on other key orders and without optional fields', () => {
    for (const raw of [
      `{"delta":"AAAA","content_index":2,"item_id":"i","type":"response.output_audio.delta"}`,
      ` {"type" : "response.output_audio.delta", "item_id":"i", "content_index": 0, "delta":"AA==", "future":17 } `,
    ]) {
      const fast = fastOutputAudioDelta(raw);
      expect(fast, raw).not.toBeNull();
      expect(parseRealtimeEventWithSchema(raw)).toEqual(fast);
    }
  });

  const bad: [string, string][] = [
    ['non-base64 delta', deltaEvent({ delta: 'AB*D' })],
    ['unpadded delta', deltaEvent({ delta: 'ABCDE' })],
    ['missing item_id', deltaEvent({ item_id: undefined })],
    ['empty item_id', deltaEvent({ item_id: '' })],
    ['missing content_index', deltaEvent({ content_index: undefined })],
    ['string content_index', deltaEvent({ content_index: '0' })],
    ['truncated', deltaEvent().slice(0, -2)],
    ['truncated inside the delta', deltaEvent().slice(0, 200)],
  ];
  for (const [what, raw] of bad) {
    it(`rejects ${what}`, () => {
      expect(fastOutputAudioDelta(raw)).toBeNull();
      expect(parseRealtimeEvent(raw).type).toBe('invalid');
    });
  }

  it('rejects deltas the native base64 decoder would misread, and reads UTF-8 bytes correctly', () => {
    expect(parseRealtimeEvent(deltaEvent({ delta: 'AAA\u0141' })).type).toBe('invalid');
    expect(parseRealtimeEvent(Buffer.from(deltaEvent({ delta: 'AAA\u0141' }))).type).toBe('invalid');
    expect(parseRealtimeEvent(deltaEvent({ delta: 'AB_-' })).type).toBe('invalid');
    const parsed = parseRealtimeEvent(Buffer.from(deltaEvent({ item_id: 'itém' })));
    expect(parsed.type === 'response.output_audio.delta' && parsed.item_id).toBe('itém');
  });

  it('does not take other events for deltas', () => {
    const raw = deltaEvent({ type: 'response.output_audio_transcript.delta' });
    expect(fastOutputAudioDelta(raw)).toBeNull();
    expect(parseRealtimeEvent(raw)).toEqual({ type: 'unknown', eventType: 'response.output_audio_transcript.delta' });
  });

  it('leaves nested or escaped content to the schema path', () => {
    const nested = deltaEvent({ meta: { a: 1 } });
    expect(fastOutputAudioDelta(nested)).toBeNull();
    expect(parseRealtimeEvent(nested).type).toBe('response.output_audio.delta');
    const escaped = deltaEvent({ item_id: 'it\u00e9m"x' });
    expect(fastOutputAudioDelta(escaped)).toBeNull();
    const parsed = parseRealtimeEvent(escaped);
    expect(parsed.type === 'response.output_audio.delta' && parsed.item_id).toBe('it\u00e9m"x');
  });
});

describe('parseRealtimeEvent: schema path', () => {
  it('reads the events the relay acts on', () => {
    const cases: Record<string, unknown>[] = [
      { type: 'session.created', event_id: 'e', session: { type: 'realtime', id: 'sess_1' } },
      { type: 'session.updated', event_id: 'e', session: { type: 'realtime' } },
      { type: 'response.output_audio.done', event_id: 'e', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0 },
      { type: 'response.output_audio_transcript.done', event_id: 'e', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, transcript: 'Hi!' },
      { type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'u1', content_index: 0, transcript: 'John', usage: { type: 'duration', seconds: 1 } },
      { type: 'conversation.item.input_audio_transcription.failed', event_id: 'e', item_id: 'u1', content_index: 0, error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'x', param: null } },
      { type: 'conversation.item.added', event_id: 'e', previous_item_id: null, item: { id: 'i1', type: 'message', role: 'assistant', status: 'in_progress', content: [] } },
      { type: 'conversation.item.created', event_id: 'e', previous_item_id: 'i1', item: { id: 'i2', type: 'message', role: 'user', content: [] } },
      { type: 'conversation.item.truncated', event_id: 'e', item_id: 'i1', content_index: 0, audio_end_ms: 1500 },
      { type: 'input_audio_buffer.speech_started', event_id: 'e', audio_start_ms: 1000, item_id: 'u2' },
      { type: 'input_audio_buffer.speech_stopped', event_id: 'e', audio_end_ms: 2000, item_id: 'u2' },
      { type: 'input_audio_buffer.committed', event_id: 'e', previous_item_id: 'i1', item_id: 'u2' },
      { type: 'response.created', event_id: 'e', response: { id: 'r', status: 'in_progress', output: [] } },
      { type: 'response.function_call_arguments.done', event_id: 'e', response_id: 'r', item_id: 'f', output_index: 1, name: 'end_call', call_id: 'call_1', arguments: '{"reason":"completed"}' },
      { type: 'response.done', event_id: 'e', response: { id: 'r', status: 'completed', output: [{ type: 'message' }], usage: {} } },
      { type: 'error', event_id: 'e', error: { type: 'invalid_request_error', code: 'x', message: 'bad', param: null, event_id: null } },
    ];
    for (const event of cases) {
      const parsed = parseRealtimeEvent(JSON.stringify(event));
      expect(parsed.type, JSON.stringify(parsed)).toBe(event.type);
    }
    const added = parseRealtimeEvent(JSON.stringify(cases[6]));
    expect(added.type === 'conversation.item.added' && added.item.role).toBe('assistant');
    const call = parseRealtimeEvent(JSON.stringify(cases[13]));
    expect(call).toMatchObject({ name: 'end_call', call_id: 'call_1', arguments: '{"reason":"completed"}' });
  });

  it('lets unknown types fall through and reports broken known ones', () => {
    expect(parseRealtimeEvent('{"type":"rate_limits.updated","rate_limits":[]}')).toEqual({
      type: 'unknown',
      eventType: 'rate_limits.updated',
    });
    const broken = parseRealtimeEvent('{"type":"input_audio_buffer.speech_started","item_id":"u"}');
    expect(broken.type).toBe('invalid');
    expect(broken.type === 'invalid' && broken.reason).toMatch(/audio_start_ms/);
    expect(parseRealtimeEvent('{]').type).toBe('invalid');
    expect(parseRealtimeEvent('"str"').type).toBe('invalid');
    expect(parseRealtimeEvent('{"no":"type"}')).toEqual({ type: 'invalid', reason: 'no type' });
  });
});
