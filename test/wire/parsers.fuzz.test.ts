import { describe, expect, it } from 'vitest';
import { fastOutputAudioDelta, parseRealtimeEvent, parseRealtimeEventWithSchema } from '../../src/realtime/serverEvents.js';
import { fastTwilioMedia, parseTwilioMessage, parseTwilioMessageWithSchema } from '../../src/twilio/mediaStreamMessages.js';

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const SAMPLES = [
  `{"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2","timestamp":"20","payload":"${Buffer.alloc(160, 0xff).toString('base64')}"},"streamSid":"MZ1"}`,
  `{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"${Buffer.alloc(96, 1).toString('base64')}"}`,
  '{"event":"mark","sequenceNumber":"9","streamSid":"MZ1","mark":{"name":"p1"}}',
  '{"type":"input_audio_buffer.speech_started","event_id":"e","audio_start_ms":10,"item_id":"u"}',
];
const ALPHABET = '{}[]":,\\ 0123456789abcdeflnrstuAZ+/=-_.\u00e9\u0141\u0000\n';

describe('parsers under random input', () => {
  it('never throw, and the fast paths never disagree with the schema paths', () => {
    const random = rng(20240611);
    let fastHits = 0;
    const pick = (s: string): string => s[Math.floor(random() * s.length)] as string;
    for (let n = 0; n < 4000; n++) {
      let input: string;
      const mode = n % 4;
      if (mode === 0) {
        input = Array.from({ length: Math.floor(random() * 80) }, () => pick(ALPHABET)).join('');
      } else {
        // Mutate a valid message: flip, delete or insert a few characters, or cut it short.
        const base = SAMPLES[Math.floor(random() * SAMPLES.length)] as string;
        const chars = base.split('');
        const edits = 1 + Math.floor(random() * 3);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * chars.length);
          const op = random();
          if (op < 0.4) chars[at] = pick(ALPHABET);
          else if (op < 0.7) chars.splice(at, 1);
          else if (op < 0.9) chars.splice(at, 0, pick(ALPHABET));
          else chars.length = at;
        }
        input = chars.join('');
      }
      const twilio = parseTwilioMessage(input);
      const realtime = parseRealtimeEvent(input);
      // Whatever a fast path accepts must be exactly what JSON.parse + zod read.
      const fastMedia = fastTwilioMedia(input);
      if (fastMedia !== null) {
        fastHits++;
        expect(parseTwilioMessageWithSchema(input), input).toEqual(fastMedia);
      }
      const fastDelta = fastOutputAudioDelta(input);
      if (fastDelta !== null) {
        fastHits++;
        expect(parseRealtimeEventWithSchema(input), input).toEqual(fastDelta);
      }
      // The same message as bytes (as the sockets deliver it) reads exactly as the schema path reads the text.
      expect(parseTwilioMessage(Buffer.from(input)), input).toEqual(
        input.length > 64 * 1024 ? twilio : parseTwilioMessageWithSchema(input),
      );
      expect(parseRealtimeEvent(Buffer.from(input)), input).toEqual(parseRealtimeEventWithSchema(input));
      // And the schema path must accept only valid JSON.
      if (twilio.event !== 'invalid' || realtime.type !== 'invalid') expect(() => JSON.parse(input), input).not.toThrow();
    }
    // Some mutations keep a frame valid (a digit for a digit, a base64 letter for another): the check above ran.
    expect(fastHits).toBeGreaterThan(20);
  });

  it('handle odd raw inputs', () => {
    for (const raw of ['', ' ', '{', '}', '""', 'null', 'true', '[]', '{"event":null}', '{"type":{}}', '\uffff', Buffer.alloc(0), new ArrayBuffer(3)]) {
      expect(() => parseTwilioMessage(raw)).not.toThrow();
      expect(() => parseRealtimeEvent(raw)).not.toThrow();
      expect(parseTwilioMessage(raw).event).toBe('invalid');
    }
  });
});
