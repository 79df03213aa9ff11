import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import {
  parseTwilioMessage,
  twilioClear,
  twilioMark,
  twilioMediaWriter,
  type TwilioInbound,
} from '../../src/twilio/mediaStreamMessages.js';

/** A tiny stand-in for our server: records what the caller sends and lets the test answer. */
async function startServer(options: { requireHeader?: string } = {}) {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, done) => {
      if (options.requireHeader && info.req.headers['x-twilio-signature'] !== options.requireHeader) done(false, 403);
      else done(true);
    },
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const messages: TwilioInbound[] = [];
  const sockets: WebSocket[] = [];
  const waiters: (() => void)[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const parsed = parseTwilioMessage(data as Buffer);
      if (parsed.event !== 'invalid') messages.push(parsed);
      for (const w of waiters.splice(0)) w();
    });
  });
  const { port } = wss.address() as AddressInfo;
  const until = async (predicate: () => boolean, timeoutMs = 3000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  };
  return {
    url: `ws://127.0.0.1:${port}/twilio/voice/stream`,
    messages,
    socket: () => sockets[0] as WebSocket,
    until,
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const marksOf = (messages: TwilioInbound[]): string[] =>
  messages.flatMap((m) => (m.event === 'mark' ? [m.mark.name] : []));

describe('FakeTwilioCaller', () => {
  it('sends connected, start and numbered media frames, then stop on hang-up', async () => {
    const server = await startServer();
    servers.push(server);
    const caller = await FakeTwilioCaller.connect({ url: server.url, callSid: 'CA1', from: '+15555550100', realTime: false });
    caller.sendFrames(3);
    await caller.speak(40);
    await server.until(() => server.messages.length >= 7);
    const [connected, start, ...rest] = server.messages;
    expect(connected?.event).toBe('connected');
    expect(start).toMatchObject({
      event: 'start',
      streamSid: caller.streamSid,
      start: {
        callSid: 'CA1',
        customParameters: { callSid: 'CA1', from: '+15555550100' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    const media = rest.filter((m) => m.event === 'media');
    expect(media.map((m) => m.media.chunk)).toEqual([1, 2, 3, 4, 5]);
    expect(media.map((m) => m.media.timestamp)).toEqual([0, 20, 40, 60, 80]);
    expect(media.every((m) => Buffer.from(m.media.payload, 'base64').length === 160)).toBe(true);
    expect(Buffer.from(media[0]!.media.payload, 'base64').every((b) => b === 0xff)).toBe(true);
    expect(Buffer.from(media[4]!.media.payload, 'base64').some((b) => b !== 0xff)).toBe(true);
    const seqs = rest.map((m) => ('sequenceNumber' in m ? m.sequenceNumber : undefined));
    expect(seqs).toEqual([2, 3, 4, 5, 6]);
    const closed = await caller.hangUp();
    expect(closed.code).toBe(1000);
    await server.until(() => server.messages.some((m) => m.event === 'stop'));
    expect(server.messages.at(-1)).toMatchObject({ event: 'stop', stop: { callSid: 'CA1' } });
  });

  it('passes the signature header, and rejects when the server refuses the upgrade', async () => {
    const server = await startServer({ requireHeader: 'sig' });
    servers.push(server);
    await expect(FakeTwilioCaller.connect({ url: server.url, realTime: false })).rejects.toThrow(/403/);
    const caller = await FakeTwilioCaller.connect({ url: server.url, headers: { 'x-twilio-signature': 'sig' }, realTime: false });
    await caller.hangUp();
  });

  it('paces frames in real time without drift', async () => {
    const server = await startServer();
    servers.push(server);
    const caller = await FakeTwilioCaller.connect({ url: server.url, realTime: true });
    const started = performance.now();
    caller.startStreaming();
    await new Promise((r) => setTimeout(r, 400));
    const frames = caller.framesSent();
    const expected = Math.floor((performance.now() - started) / 20) + 1;
    expect(Math.abs(frames - expected)).toBeLessThanOrEqual(2);
    await caller.hangUp();
  });

  it('plays server audio in real time and echoes each mark only after the audio before it', async () => {
    const server = await startServer();
    servers.push(server);
    const caller = await FakeTwilioCaller.connect({ url: server.url, realTime: true });
    await server.until(() => server.messages.some((m) => m.event === 'start'));
    const write = twilioMediaWriter(caller.streamSid);
    const ws = server.socket();
    const sentAt = performance.now();
    ws.send(write(Buffer.alloc(800, 0x55).toString('base64'))); // 100 ms
    ws.send(twilioMark(caller.streamSid, 'a'));
    ws.send(write(Buffer.alloc(800, 0x55).toString('base64'))); // 100 ms more
    ws.send(twilioMark(caller.streamSid, 'b'));
    await server.until(() => marksOf(server.messages).length === 2);
    expect(marksOf(server.messages)).toEqual(['a', 'b']);
    const [a, b] = caller.received.echoed;
    expect(a!.at - sentAt).toBeGreaterThanOrEqual(95);
    expect(b!.at - sentAt).toBeGreaterThanOrEqual(195);
    expect(b!.at - sentAt).toBeLessThan(400);
    expect(caller.playedBytes()).toBe(1600);
    expect(caller.received.media.map((m) => m.bytes)).toEqual([800, 800]);
    await caller.hangUp();
  });

  it('on clear drops queued audio and echoes the pending marks at once, as Twilio does', async () => {
    const server = await startServer();
    servers.push(server);
    const caller = await FakeTwilioCaller.connect({ url: server.url, realTime: true });
    await server.until(() => server.messages.some((m) => m.event === 'start'));
    const ws = server.socket();
    const write = twilioMediaWriter(caller.streamSid);
    ws.send(write(Buffer.alloc(8000, 0x55).toString('base64'))); // 1 s
    ws.send(twilioMark(caller.streamSid, 'end'));
    await new Promise((r) => setTimeout(r, 150));
    ws.send(twilioClear(caller.streamSid));
    await server.until(() => marksOf(server.messages).length === 1);
    const [clear] = caller.received.clears;
    expect(clear!.playedBytes).toBeGreaterThanOrEqual(150 * 8 - 80);
    expect(clear!.playedBytes).toBeLessThan(400 * 8);
    expect(clear!.playedBytes + clear!.droppedBytes).toBe(8000);
    expect(caller.received.echoed).toEqual([expect.objectContaining({ name: 'end', viaClear: true })]);
    expect(caller.isPlaying()).toBe(false);
    await caller.hangUp();
  });

  it('in fast mode plays instantly, records bad server messages and resolves closed when the server closes', async () => {
    const server = await startServer();
    servers.push(server);
    const caller = await FakeTwilioCaller.connect({ url: server.url, realTime: false });
    await server.until(() => server.messages.some((m) => m.event === 'start'));
    const ws = server.socket();
    ws.send(twilioMediaWriter(caller.streamSid)('AAAA'));
    ws.send(twilioMark(caller.streamSid, 'm'));
    ws.send('{"event":"media","streamSid":"x"}');
    ws.send(twilioMark('MZ-other', 'n'));
    await server.until(() => marksOf(server.messages).length === 1);
    expect(caller.playedBytes()).toBe(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(caller.received.invalid.map((i) => i.reason)).toHaveLength(2);
    expect(caller.received.invalid[1]!.reason).toBe('wrong streamSid');
    ws.close(1000, 'done');
    expect(await caller.closed).toEqual({ code: 1000, reason: 'done' });
  });
});
