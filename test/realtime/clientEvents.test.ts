import { describe, expect, it } from 'vitest';
import {
  conversationItemTruncate,
  functionCallOutput,
  inputAudioAppend,
  responseCreate,
} from '../../src/realtime/clientEvents.js';

describe('client event builders', () => {
  it('inputAudioAppend forwards the payload verbatim', () => {
    const b64 = Buffer.alloc(160, 0xff).toString('base64');
    expect(JSON.parse(inputAudioAppend(b64))).toEqual({ type: 'input_audio_buffer.append', audio: b64 });
  });

  it('conversationItemTruncate writes whole, non-negative milliseconds', () => {
    expect(JSON.parse(conversationItemTruncate('item_1', 0, 1234.9))).toEqual({
      type: 'conversation.item.truncate',
      item_id: 'item_1',
      content_index: 0,
      audio_end_ms: 1234,
    });
    expect(JSON.parse(conversationItemTruncate('item_1', 0, -5)).audio_end_ms).toBe(0);
  });

  it('functionCallOutput is a function_call_output item', () => {
    expect(JSON.parse(functionCallOutput('call_9', '{"ok":true}'))).toEqual({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_9', output: '{"ok":true}' },
    });
  });

  it('responseCreate with and without instructions', () => {
    expect(JSON.parse(responseCreate())).toEqual({ type: 'response.create' });
    expect(JSON.parse(responseCreate({ instructions: 'Say "hi"' }))).toEqual({
      type: 'response.create',
      response: { instructions: 'Say "hi"' },
    });
  });
});
