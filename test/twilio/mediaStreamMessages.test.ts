import { describe, expect, it } from 'vitest';
import {
  MAX_TWILIO_MESSAGE_CHARS,
  MAX_TWILIO_PAYLOAD_CHARS,
  fastTwilioMedia,
  parseTwilioMessage,
  parseTwilioMessageWithSchema,
  parseTwilioOutbound,
  twilioClear,
  twilioMark,
  twilioMediaWriter,
} from '../../src/twilio/mediaStreamMessages.js';

const SID = 'MZ0123456789abcdef0123456789abcdef';
const PAYLOAD = Buffer.alloc(160, 0xff).toString('base64');

const mediaFrame = (over: { payload?: string; event?: string; seq?: string; chunk?: string; ts?: string } = {}): string =>
  `{"event":"${over.event ?? 'media'}","sequenceNumber":"${over.seq ?? '4'}","media":{"track":"inbound","chunk":"${over.chunk ?? '2'}",` +
  `"timestamp":"${over.ts ?? '20'}","payload":"${over.payload ?? PAYLOAD}"},"streamSid":"${SID}"}`;

describe('parseTwilioMessage: media fast path', () => {
  it('reads a Twilio media frame without the schema, and agrees with the schema path', () => {
    const raw = mediaFrame();
    const fast = fastTwilioMedia(raw);
    expect(fast).toEqual({
      event: 'media',
      sequenceNumber: 4,
      streamSid: SID,
      media: { track: 'inbound', chunk: 2, timestamp: 20, payload: PAYLOAD },
    });
    expect(parseTwilioMessageWithSchema(raw)).toEqual(fast);
    expect(parseTwilioMessage(raw)).toEqual(fast);
  });

  it('agrees with the schema path on reordered keys, whitespace, extra fields and padded payloads', () => {
    const frames = [
      `{"streamSid":"${SID}","media":{"payload":"${PAYLOAD}","timestamp":"0","chunk":"1","track":"outbound"},"sequenceNumber":"1","event":"media"}`,
      ` { "event" : "media" , "sequenceNumber" : "10" , "media" : { "track" : "inbound" , "chunk" : "9" , "timestamp" : "160" , "payload" : "AAE=" } , "streamSid" : "${SID}" } `,
      `{"event":"media","extra":123,"note":"x","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AA==","x":7},"streamSid":"${SID}"}`,
    ];
    for (const raw of frames) {
      const fast = fastTwilioMedia(raw);
      expect(fast, raw).not.toBeNull();
      expect(parseTwilioMessageWithSchema(raw)).toEqual(fast);
    }
  });

  it('accepts Buffer and ArrayBuffer input (uWS hands ArrayBuffers)', () => {
    const raw = mediaFrame();
    const buf = Buffer.from(raw);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    expect(parseTwilioMessage(buf)).toEqual(parseTwilioMessage(raw));
    expect(parseTwilioMessage(ab)).toEqual(parseTwilioMessage(raw));
  });

  const bad: [string, string][] = [
    ['wrong event', mediaFrame({ event: 'mediaX' })],
    ['non-base64 payload', mediaFrame({ payload: 'ab$d' })],
    ['payload length not a multiple of 4', mediaFrame({ payload: 'abcde' })],
    ['padding in the middle', mediaFrame({ payload: 'ab==abcd' })],
    ['empty payload', mediaFrame({ payload: '' })],
    ['truncated JSON', mediaFrame().slice(0, -1)],
    ['truncated inside the payload', mediaFrame().slice(0, 120)],
    ['trailing garbage', `${mediaFrame()}x`],
    ['huge payload', mediaFrame({ payload: 'A'.repeat(MAX_TWILIO_PAYLOAD_CHARS + 4) })],
    ['negative chunk', mediaFrame({ chunk: '-1' })],
    ['leading-zero counter', mediaFrame({ seq: '04' })],
    ['non-numeric timestamp', mediaFrame({ ts: 'soon' })],
    ['missing streamSid', `{"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2","timestamp":"20","payload":"${PAYLOAD}"}}`],
    ['unknown track', mediaFrame().replace('"inbound"', '"sideways"')],
    ['payload outside media', `{"event":"media","sequenceNumber":"4","payload":"${PAYLOAD}","media":{"track":"inbound","chunk":"2","timestamp":"20"},"streamSid":"${SID}"}`],
  ];
  for (const [what, raw] of bad) {
    it(`rejects ${what} on both paths`, () => {
      expect(fastTwilioMedia(raw)).toBeNull();
      const parsed = parseTwilioMessage(raw);
      expect(parsed.event).toBe('invalid');
      expect(parseTwilioMessageWithSchema(raw).event).toBe('invalid');
    });
  }

  it('rejects characters the native base64 decoder would misread, from strings and from bytes', () => {
    // U+0141 has low byte 0x41 ("A"): a decoder reading low bytes would take it for base64.
    const raw = mediaFrame({ payload: 'AAA\u0141' });
    expect(fastTwilioMedia(raw)).toBeNull();
    expect(parseTwilioMessage(raw).event).toBe('invalid');
    expect(parseTwilioMessage(Buffer.from(raw, 'utf8')).event).toBe('invalid');
    expect(parseTwilioMessage(mediaFrame({ payload: 'AB-_' })).event).toBe('invalid');
  });

  it('reads non-ASCII bytes through the schema path, as UTF-8', () => {
    const raw = mediaFrame().replace(`"streamSid":"${SID}"`, '"streamSid":"MZ\u00e9"');
    const parsed = parseTwilioMessage(Buffer.from(raw, 'utf8'));
    expect(parsed.event === 'media' && parsed.streamSid).toBe('MZ\u00e9');
  });

  it('leaves escaped strings to JSON.parse, which reads them correctly', () => {
    const raw = mediaFrame().replace(`"streamSid":"${SID}"`, '"streamSid":"MZ\\u0041"');
    expect(fastTwilioMedia(raw)).toBeNull();
    const parsed = parseTwilioMessage(raw);
    expect(parsed.event === 'media' && parsed.streamSid).toBe('MZA');
  });

  it('refuses messages over the size limit before reading them', () => {
    const raw = `{"event":"stop","streamSid":"${SID}","pad":"${'x'.repeat(MAX_TWILIO_MESSAGE_CHARS)}"}`;
    expect(parseTwilioMessage(raw)).toEqual({ event: 'invalid', reason: 'message too large' });
  });
});

describe('parseTwilioMessage: other messages', () => {
  it('reads connected, start, mark, dtmf and stop as Twilio documents them', () => {
    expect(parseTwilioMessage('{"event":"connected","protocol":"Call","version":"1.0.0"}')).toEqual({
      event: 'connected',
      protocol: 'Call',
      version: '1.0.0',
    });
    const start = parseTwilioMessage(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        start: {
          accountSid: 'AC1',
          streamSid: SID,
          callSid: 'CA1',
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { callSid: 'CA1', from: '+15555550100' },
        },
        streamSid: SID,
      }),
    );
    expect(start).toMatchObject({
      event: 'start',
      sequenceNumber: 1,
      streamSid: SID,
      start: { callSid: 'CA1', customParameters: { from: '+15555550100' }, mediaFormat: { sampleRate: 8000 } },
    });
    expect(parseTwilioMessage(`{"event":"mark","sequenceNumber":"4","streamSid":"${SID}","mark":{"name":"p7"}}`)).toEqual({
      event: 'mark',
      sequenceNumber: 4,
      streamSid: SID,
      mark: { name: 'p7' },
    });
    expect(
      parseTwilioMessage(`{"event":"dtmf","streamSid":"${SID}","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}`),
    ).toMatchObject({ event: 'dtmf', dtmf: { digit: '1' } });
    expect(
      parseTwilioMessage(`{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"AC1","callSid":"CA1"},"streamSid":"${SID}"}`),
    ).toMatchObject({ event: 'stop', streamSid: SID, stop: { callSid: 'CA1' } });
  });

  it('defaults missing custom parameters to an empty object', () => {
    const parsed = parseTwilioMessage(
      JSON.stringify({
        event: 'start',
        streamSid: SID,
        start: { accountSid: 'AC1', streamSid: SID, callSid: 'CA1', mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
      }),
    );
    expect(parsed.event === 'start' && parsed.start.customParameters).toEqual({});
  });

  it('names what is wrong without throwing', () => {
    expect(parseTwilioMessage('not json')).toEqual({ event: 'invalid', reason: 'malformed JSON' });
    expect(parseTwilioMessage('{"event":"hello"}').event).toBe('invalid');
    expect(parseTwilioMessage('[1,2]').event).toBe('invalid');
    expect(parseTwilioMessage('null').event).toBe('invalid');
    const missing = parseTwilioMessage(`{"event":"mark","streamSid":"${SID}"}`);
    expect(missing.event === 'invalid' && missing.reason).toMatch(/mark/);
  });
});

describe('outbound builders', () => {
  it('build the documented media, mark and clear messages', () => {
    const write = twilioMediaWriter(SID);
    const expected = { event: 'media', streamSid: SID, media: { payload: PAYLOAD } };
    expect(JSON.parse(write(PAYLOAD))).toEqual(expected);
    expect(JSON.parse(twilioMark(SID, 'e12'))).toEqual({ event: 'mark', streamSid: SID, mark: { name: 'e12' } });
    expect(JSON.parse(twilioClear(SID))).toEqual({ event: 'clear', streamSid: SID });
    for (const raw of [write(PAYLOAD), twilioMark(SID, 'e12'), twilioClear(SID)]) {
      expect(parseTwilioOutbound(raw).event).not.toBe('invalid');
    }
  });

  it('escape stream ids and mark names that are not plain', () => {
    const odd = 'MZ"\\x';
    expect(JSON.parse(twilioMediaWriter(odd)('AAAA'))).toMatchObject({ streamSid: odd });
    expect(JSON.parse(twilioMark(odd, 'a"b'))).toEqual({ event: 'mark', streamSid: odd, mark: { name: 'a"b' } });
    expect(JSON.parse(twilioClear(odd))).toEqual({ event: 'clear', streamSid: odd });
  });
});
