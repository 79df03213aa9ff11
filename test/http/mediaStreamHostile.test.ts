import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { parseTwilioMessage, parseTwilioMessageWithSchema } from '../../src/twilio/mediaStreamMessages.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually, sleep } from '../security/signedLab.js';
import { completeSampleCall } from '../security/sampleCall.js';
import { markFrame, mediaFrame, openRawStream, startFrame, stopFrame, type RawStream } from '../security/streamFrames.js';

/**
 * Hostile and malformed input on the live media socket. For each: the server survives, a bystander call on another
 * socket keeps streaming and a fresh call completes end to end, and the matching counter in /metrics goes up.
 */
describe('media stream: malformed and hostile input', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  let n = 0;
  const ids = () => {
    n++;
    return { callSid: `CAhostile${String(n).padStart(26, '0')}`, streamSid: `MZhostile${String(n).padStart(26, '0')}` };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  /** A stream with a webhook-opened call and its `start` sent. */
  async function startedStream(): Promise<{ stream: RawStream; callSid: string; streamSid: string }> {
    const { callSid, streamSid } = ids();
    await lab.webhook(callSid, '+14045550111');
    const stream = await openRawStream(lab);
    stream.send(startFrame(callSid, streamSid));
    return { stream, callSid, streamSid };
  }

  const counter = (name: string) => lab.app.metrics.get(name);
  const scrape = async (): Promise<string> => (await fetch(`${lab.app.url}/metrics`)).text();
  const metricValue = (text: string, name: string): number => Number(new RegExp(`^psb_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

  type Case = {
    name: string;
    counter: string;
    /** Sends the hostile input; `started` is a stream whose call has started, `fresh` a socket with nothing sent. */
    act: (s: { started: { stream: RawStream; callSid: string; streamSid: string }; fresh: RawStream }) => void | Promise<void>;
  };
  const cases: Case[] = [
    { name: 'bad JSON', counter: 'twilio_messages_invalid_total', act: ({ started }) => started.stream.send('{"event":"media",') },
    { name: 'not an object', counter: 'twilio_messages_invalid_total', act: ({ started }) => started.stream.send('[1,2,3]') },
    { name: 'a bare number', counter: 'twilio_messages_invalid_total', act: ({ started }) => started.stream.send('42') },
    { name: 'an unknown event', counter: 'twilio_messages_invalid_total', act: ({ started }) => started.stream.send('{"event":"hack","x":1}') },
    {
      name: 'wrong types (media as a string)',
      counter: 'twilio_messages_invalid_total',
      act: ({ started }) => started.stream.send(`{"event":"media","sequenceNumber":"2","media":"AAAA","streamSid":"${started.streamSid}"}`),
    },
    {
      name: 'wrong types (numbers as objects, track unknown)',
      counter: 'twilio_messages_invalid_total',
      act: ({ started }) =>
        started.stream.send(
          JSON.stringify({ event: 'media', sequenceNumber: {}, streamSid: started.streamSid, media: { track: 'x', chunk: [], timestamp: null, payload: 1 } }),
        ),
    },
    {
      name: 'invalid base64 payload',
      counter: 'twilio_messages_invalid_total',
      act: ({ started }) => started.stream.send(mediaFrame(started.streamSid, 1, '!!!not*base64$$$')),
    },
    {
      name: 'a huge media payload (under the socket limit, over the payload limit)',
      counter: 'twilio_messages_invalid_total',
      act: ({ started }) => started.stream.send(mediaFrame(started.streamSid, 1, 'A'.repeat(40_000))),
    },
    {
      name: 'a binary frame of random bytes',
      counter: 'twilio_messages_invalid_total',
      act: ({ started }) => started.stream.send(Buffer.from([0xff, 0x00, 0x7b, 0x22, 0xc3, 0x28])),
    },
    {
      name: 'a message over the socket limit (closes that socket)',
      counter: 'twilio_messages_oversize_total',
      act: async ({ fresh }) => {
        fresh.send('x'.repeat(100_000));
        await fresh.closed;
      },
    },
    { name: 'media before start', counter: 'twilio_messages_out_of_order_total', act: ({ fresh }) => fresh.send(mediaFrame('MZnothing', 1)) },
    { name: 'mark before start', counter: 'twilio_messages_out_of_order_total', act: ({ fresh }) => fresh.send(markFrame('MZnothing', 'm1')) },
    { name: 'stop without start', counter: 'twilio_messages_out_of_order_total', act: ({ fresh }) => fresh.send(stopFrame('CAnone', 'MZnothing')) },
    {
      name: 'a duplicate start on the same socket',
      counter: 'twilio_messages_out_of_order_total',
      act: ({ started }) => started.stream.send(startFrame(started.callSid, started.streamSid)),
    },
    {
      name: 'a second stream starting the same call (hijack attempt)',
      counter: 'twilio_streams_duplicate_total',
      act: ({ started, fresh }) => fresh.send(startFrame(started.callSid, 'MZintruder0000000000000000000000001')),
    },
    {
      name: 'media for an unknown stream',
      counter: 'twilio_messages_wrong_stream_total',
      act: ({ started }) => started.stream.send(mediaFrame('MZsomeoneelse000000000000000000001', 1)),
    },
    {
      name: 'a mark for an unknown stream',
      counter: 'twilio_messages_out_of_order_total',
      act: ({ started }) => started.stream.send(markFrame('MZsomeoneelse000000000000000000001', 'm1')),
    },
    {
      name: 'a duplicate stop',
      counter: 'twilio_messages_out_of_order_total',
      act: ({ started }) => {
        started.stream.send(stopFrame(started.callSid, started.streamSid));
        started.stream.send(stopFrame(started.callSid, started.streamSid));
      },
    },
    {
      name: 'start after stop',
      counter: 'twilio_messages_out_of_order_total',
      act: ({ fresh }) => {
        // A stop without a call is itself out of order; the start after it is refused too.
        fresh.send(stopFrame('CAnone', 'MZnothing'));
        fresh.send(startFrame('CAlate0000000000000000000000000001', 'MZlate0000000000000000000000000001'));
      },
    },
  ];

  it.each(cases)('$name: counted, the server and other calls unaffected', async ({ counter: name, act }) => {
    // A bystander call streaming on its own socket throughout.
    const bystander = await startedStream();
    await eventually(() => (lab.app.registry.get(bystander.callSid)?.relay.counters.agentFrames ? true : undefined), 'bystander greeting');

    const started = await startedStream();
    const fresh = await openRawStream(lab);
    const before = counter(name);
    const scrapedBefore = metricValue(await scrape(), name);
    await act({ started, fresh });
    await eventually(() => (counter(name) > before ? true : undefined), `${name} to increase`);
    expect(metricValue(await scrape(), name)).toBeGreaterThan(scrapedBefore);

    // The bystander's socket is open and its call still takes audio.
    expect(bystander.stream.isOpen).toBe(true);
    const frames = lab.app.registry.get(bystander.callSid)?.relay.counters.callerFrames ?? -1;
    bystander.stream.send(mediaFrame(bystander.streamSid, 1));
    await eventually(() => ((lab.app.registry.get(bystander.callSid)?.relay.counters.callerFrames ?? -1) > frames ? true : undefined), 'bystander audio');

    // And a new call completes end to end.
    const { output } = await completeSampleCall(lab, `CAafter${String(n).padStart(28, '0')}`);
    expect(output.outcome).toBe('succeeded');

    for (const s of [bystander.stream, started.stream, fresh]) s.ws.close();
    await lab.outcomeOf(bystander.callSid);
  });

  it('survives random frames on a live call socket (random bytes, mutated valid frames); the call still ends with one row', async () => {
    const { stream, callSid, streamSid } = await startedStream();
    const random = mulberry32(0x5eed);
    const valid = [startFrame(callSid, streamSid), mediaFrame(streamSid, 7), markFrame(streamSid, 'm1'), stopFrame(callSid, streamSid)];
    const errorsBefore = counter('twilio_message_errors_total');
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) {
        const bytes = Buffer.alloc(1 + Math.floor(random() * 600));
        for (let b = 0; b < bytes.length; b++) bytes[b] = Math.floor(random() * 256);
        stream.send(random() < 0.5 ? bytes : bytes.toString('latin1'));
      } else {
        stream.send(mutate(valid[Math.floor(random() * valid.length)] ?? '', random));
      }
      if (i % 50 === 0) await sleep(5); // stay under the rate limit: this is about content, not volume
    }
    await sleep(100);
    expect(counter('twilio_message_errors_total')).toBe(errorsBefore);
    expect((await fetch(`${lab.app.url}/healthz`)).status).toBe(200);
    stream.ws.close();
    const output = await lab.outcomeOf(callSid);
    const rows = [...(await lab.app.repos.failed.list()), ...(await lab.app.repos.succeeded.list())].filter((r) => r.id === output.leadId);
    expect(rows).toHaveLength(1);
    const { output: after } = await completeSampleCall(lab, 'CAafterfuzz00000000000000000000001');
    expect(after.outcome).toBe('succeeded');
  });

  it('parsers never throw on mutated frames, and the fast path agrees with the schema', () => {
    const random = mulberry32(42);
    const valid = [startFrame('CA1', 'MZ1'), mediaFrame('MZ1', 3), markFrame('MZ1', 'a'), stopFrame('CA1', 'MZ1')];
    for (let i = 0; i < 5_000; i++) {
      const text = mutate(valid[i % valid.length] ?? '', random);
      const fast = parseTwilioMessage(text);
      const bytes = parseTwilioMessage(Buffer.from(text, 'utf8'));
      const schema = parseTwilioMessageWithSchema(text);
      expect(fast.event === 'invalid').toBe(schema.event === 'invalid');
      expect(bytes.event === 'invalid').toBe(schema.event === 'invalid');
      if (fast.event === 'media' && schema.event === 'media') expect(fast).toEqual(schema);
    }
  });
});

/** A small seeded PRNG, so a failure replays. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One to three random edits: flip, delete, duplicate or insert characters, or truncate. */
function mutate(text: string, random: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(random() * 3);
  const alphabet = '{}[]":,\\0123456789abcdefAZ+/= \u0000\u00e9\ud83d';
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * Math.max(1, s.length));
    const pick = alphabet[Math.floor(random() * alphabet.length)] ?? 'x';
    switch (Math.floor(random() * 5)) {
      case 0:
        s = s.slice(0, at) + pick + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at, at + 8) + s.slice(at);
        break;
      case 3:
        s = s.slice(0, at) + pick + s.slice(at);
        break;
      default:
        s = s.slice(0, at);
    }
  }
  return s;
}
