import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEND_BACKPRESSURE, SEND_DROPPED, SEND_SUCCESS, type Transport, type WebSocket } from '../../src/http/transportTypes.js';
import { nodeTransport } from '../../src/http/nodeTransport.js';
import { rawExchange, sleep, startApp, transportsUnderTest, UpgradeRefused, waitFor, wsClient, type RunningApp } from '../support/transportLab.js';

interface SocketData {
  id: number;
  mode: string;
}

interface Seen {
  /** What each step did, in order, per connection id. */
  steps: string[];
  upgrades: Array<{ url: string; query: string | null; signature: string; protocol: string; version: string }>;
  closes: Array<{ id: number; code: number; reason: string }>;
  messages: Array<{ bytes: number; isBinary: boolean; text: string; keptAfter: () => number }>;
  sockets: Map<number, WebSocket<SocketData>>;
  userData: Map<number, SocketData>;
  sendCodes: number[];
  drains: number[];
  afterClose: string[];
}

const MAX_PAYLOAD_BYTES = 1_000;
const MAX_BACKPRESSURE_BYTES = 256 * 1024;

/**
 * The node transport against uWS's WebSocket semantics, each expectation run on native uWS too where it loads. The
 * upgrade handler here does what mediaStreamSocket.ts does: reads the request's headers before anything else, and
 * answers 403 instead of upgrading when told to.
 */
describe.each(transportsUnderTest())('WebSocket on %s', (_name, transport: Transport) => {
  let server: RunningApp;
  let nextId = 1;
  const seen: Seen = { steps: [], upgrades: [], closes: [], messages: [], sockets: new Map(), userData: new Map(), sendCodes: [], drains: [], afterClose: [] };

  beforeAll(async () => {
    server = await startApp(transport, (app) => {
      app.ws<SocketData>('/ws', {
        maxPayloadLength: MAX_PAYLOAD_BYTES,
        maxBackpressure: MAX_BACKPRESSURE_BYTES,
        idleTimeout: 0,
        upgrade: (res, req, context) => {
          const query = req.getQuery();
          seen.upgrades.push({
            url: req.getUrl(),
            query: query ?? null,
            signature: req.getHeader('x-twilio-signature'),
            protocol: req.getHeader('sec-websocket-protocol'),
            version: req.getHeader('sec-websocket-version'),
          });
          if (query === 'deny') {
            res.writeStatus('403 Forbidden').end('invalid signature');
            return;
          }
          const data: SocketData = { id: nextId++, mode: query ?? '' };
          seen.userData.set(data.id, data);
          seen.steps.push(`${data.id} upgrade`);
          res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
          seen.steps.push(`${data.id} upgrade returned`);
        },
        open: (ws) => {
          const { id, mode } = ws.getUserData();
          seen.sockets.set(id, ws);
          seen.steps.push(`${id} open`);
          if (mode === 'end-in-open') {
            ws.end(4001, 'bye');
            seen.steps.push(`${id} end returned`);
          }
        },
        message: (ws, message, isBinary) => {
          const kept = message;
          const text = Buffer.from(message).toString('latin1');
          seen.messages.push({ bytes: message.byteLength, isBinary, text, keptAfter: () => kept.byteLength });
          if (text === 'echo') ws.send('pong');
          if (text === 'cork') ws.cork(() => [1, 2, 3].forEach((n) => ws.send(String(n))));
        },
        drain: (ws) => seen.drains.push(ws.getBufferedAmount()),
        close: (ws, code, message) => {
          const { id } = ws.getUserData();
          seen.closes.push({ id, code, reason: Buffer.from(message).toString('latin1') });
          seen.steps.push(`${id} close ${code}`);
          try {
            ws.send('x');
            seen.afterClose.push('send worked');
          } catch (error) {
            seen.afterClose.push((error as Error).message);
          }
        },
      });
      app.any('/*', (res, req) => void res.writeStatus('404 Not Found').end(`fallback ${req.getMethod()} ${req.getUrl()}`));
    });
  });
  afterAll(() => server?.close());

  const idOf = (): number => nextId - 1;
  const closeOf = (id: number) => waitFor(() => seen.closes.find((c) => c.id === id), `close of ${id}`);

  it('upgrades after the handler read the request, opens inside res.upgrade, copies the user data and picks the first protocol', async () => {
    const client = await wsClient(server.port, '/ws?plain', ['first', 'second'], { headers: { 'X-Twilio-Signature': 'sig' } });
    const id = idOf();
    expect(seen.upgrades.at(-1)).toEqual({ url: '/ws', query: 'plain', signature: 'sig', protocol: 'first,second', version: '13' });
    expect(seen.steps.filter((s) => s.startsWith(`${id} `))).toEqual([`${id} upgrade`, `${id} open`, `${id} upgrade returned`]);
    expect(client.ws.protocol).toBe('first');
    // uWS copies the user data's fields onto its socket: the same fields, not the same object, each time the same.
    const ws = seen.sockets.get(id) as WebSocket<SocketData>;
    expect(ws.getUserData()).toMatchObject({ ...seen.userData.get(id) });
    expect(ws.getUserData()).not.toBe(seen.userData.get(id));
    expect(ws.getUserData()).toBe(ws.getUserData());
    client.ws.close();
    await closeOf(id);
  });

  it('lets the upgrade handler refuse with a status and body; an upgrade to another path reaches the catch-all', async () => {
    const refused = await wsClient(server.port, '/ws?deny').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect([(refused as UpgradeRefused).status, (refused as UpgradeRefused).body]).toEqual([403, 'invalid signature']);
    const other = await wsClient(server.port, '/elsewhere').catch((error: unknown) => error);
    expect([(other as UpgradeRefused).status, (other as UpgradeRefused).body]).toEqual([404, 'fallback get /elsewhere']);
    // A key that is no WebSocket key: not an upgrade for uWS, so the next route answers.
    const { received } = await rawExchange(
      server.port,
      'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n',
      300,
    );
    expect(received).toMatch(/^HTTP\/1\.1 404 Not Found\r\n[\s\S]*fallback get \/ws$/);
  });

  it('gives text and binary messages flagged, each ArrayBuffer emptied once the handler returned', async () => {
    const client = await wsClient(server.port, '/ws?messages');
    seen.messages.length = 0;
    client.ws.send('echo');
    client.ws.send(Buffer.from([1, 2, 3]));
    await waitFor(() => (seen.messages.length === 2 && client.messages.length === 1 ? true : undefined), 'messages');
    expect(seen.messages.map((m) => [m.bytes, m.isBinary, m.keptAfter()])).toEqual([
      [4, false, 0],
      [3, true, 0],
    ]);
    expect(client.messages.map((m) => [m.data.toString(), m.isBinary])).toEqual([['pong', false]]);
    client.ws.send('cork');
    await waitFor(() => (client.messages.length === 4 ? true : undefined), 'corked sends');
    expect(client.messages.slice(1).map((m) => m.data.toString())).toEqual(['1', '2', '3']);
    client.ws.close();
    await closeOf(idOf());
  });

  it('send answers 1 while written, 0 under back-pressure, 2 over maxBackpressure; drain comes once the buffer is empty', async () => {
    const client = await wsClient(server.port, '/ws?flood');
    const id = idOf();
    const ws = seen.sockets.get(id) as WebSocket<SocketData>;
    client.ws.pause();
    await sleep(20);
    seen.drains.length = 0;
    const big = Buffer.alloc(64 * 1024, 1);
    const codes: number[] = [];
    for (let i = 0; i < 400 && !codes.includes(SEND_DROPPED); i++) codes.push(ws.send(big, true));
    expect(codes[0]).toBe(SEND_SUCCESS);
    expect(codes.indexOf(SEND_BACKPRESSURE)).toBeGreaterThan(0);
    expect(codes.indexOf(SEND_DROPPED)).toBeGreaterThan(codes.indexOf(SEND_BACKPRESSURE));
    expect(ws.getBufferedAmount()).toBeGreaterThan(MAX_BACKPRESSURE_BYTES);
    client.ws.resume();
    await waitFor(() => (seen.drains.length > 0 ? true : undefined), 'drain');
    expect(seen.drains.at(-1)).toBe(0);
    // Everything not dropped arrives.
    await waitFor(() => (client.messages.length === codes.filter((c) => c !== SEND_DROPPED).length ? true : undefined), 'the queued messages');
    client.ws.close();
    await closeOf(id);
  });

  it('end(code, message): the close handler runs before end returns, the client gets the code and the reason cut to 123 bytes', async () => {
    const client = await wsClient(server.port, '/ws?end-in-open');
    const id = idOf();
    expect(seen.steps.filter((s) => s.startsWith(`${id} `))).toEqual([`${id} upgrade`, `${id} open`, `${id} close 4001`, `${id} end returned`, `${id} upgrade returned`]);
    expect(await client.closed).toEqual({ code: 4001, reason: 'bye' });
    expect(seen.afterClose.at(-1)).toBe('Invalid access of closed uWS.WebSocket/SSLWebSocket.');

    const long = await wsClient(server.port, '/ws?long');
    const ws = seen.sockets.get(idOf()) as WebSocket<SocketData>;
    ws.end(4000, 'r'.repeat(200));
    expect(seen.closes.at(-1)).toEqual({ id: idOf(), code: 4000, reason: 'r'.repeat(200) });
    expect(await long.closed).toEqual({ code: 4000, reason: 'r'.repeat(123) });
    expect(() => ws.send('x')).toThrow('Invalid access of closed uWS.WebSocket/SSLWebSocket.');

    const bare = await wsClient(server.port, '/ws?bare');
    (seen.sockets.get(idOf()) as WebSocket<SocketData>).end();
    expect(seen.closes.at(-1)).toEqual({ id: idOf(), code: 0, reason: '' });
    expect((await bare.closed).code).toBe(1005);
  });

  it('close(): the handler gets 1006 before close returns, the client sees the connection drop', async () => {
    const client = await wsClient(server.port, '/ws?close');
    const ws = seen.sockets.get(idOf()) as WebSocket<SocketData>;
    ws.close();
    expect(seen.closes.at(-1)).toEqual({ id: idOf(), code: 1006, reason: '' });
    expect((await client.closed).code).toBe(1006);
    expect(() => ws.getBufferedAmount()).toThrow('Invalid access of closed uWS.WebSocket/SSLWebSocket.');
  });

  it("reports the client's close code and reason, 1005 without a code, 1006 for a dropped connection", async () => {
    const polite = await wsClient(server.port, '/ws?polite');
    polite.ws.close(4321, 'client bye');
    expect(await closeOf(idOf())).toMatchObject({ code: 4321, reason: 'client bye' });
    expect((await polite.closed).code).toBe(4321);
    const silent = await wsClient(server.port, '/ws?silent');
    silent.ws.close();
    expect(await closeOf(idOf())).toMatchObject({ code: 1005, reason: '' });
    const dropped = await wsClient(server.port, '/ws?dropped');
    dropped.ws.terminate();
    expect(await closeOf(idOf())).toMatchObject({ code: 1006, reason: '' });
  });

  it("closes a socket whose message is over maxPayloadLength, or not UTF-8 as text, with 1006 and uWS's reason", async () => {
    const big = await wsClient(server.port, '/ws?big');
    big.ws.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect(await closeOf(idOf())).toMatchObject({ code: 1006, reason: 'Received too big message' });
    await big.closed;
    const garbled = await wsClient(server.port, '/ws?garbled');
    garbled.ws.send(Buffer.from([0xff, 0xfe, 0x41]), { binary: false });
    expect(await closeOf(idOf())).toMatchObject({ code: 1006, reason: 'Received invalid UTF-8' });
    await garbled.closed;
  });
});

describe('WebSocket idle timeout', () => {
  // uWS's smallest: it closes at the timeout (rounded up to its 4 s timer) after a ping at about half of it.
  const IDLE_TIMEOUT_S = 8;

  it.concurrent.for(transportsUnderTest())('%s: pings a peer that sends nothing, and closes it when it does not answer', async ([, transport], { expect }) => {
    const closes: Array<{ code: number; reason: string; atMs: number }> = [];
    const server = await startApp(transport, (app) =>
      app.ws('/quiet', { idleTimeout: IDLE_TIMEOUT_S, close: (_ws, code, message) => closes.push({ code, reason: Buffer.from(message).toString(), atMs: Date.now() }) }),
    );
    try {
      const started = Date.now();
      const client = await wsClient(server.port, '/quiet', [], { autoPong: false });
      const close = await waitFor(() => closes[0], 'the idle close', 20_000);
      expect(client.pings).toBeGreaterThan(0);
      expect(close).toMatchObject({ code: 1006, reason: 'WebSocket timed out from inactivity' });
      // Both count in whole timer ticks (uWS's are 4 s): not before half the timeout, anyway.
      expect(close.atMs - started).toBeGreaterThanOrEqual((IDLE_TIMEOUT_S / 2) * 1000);
      expect((await client.closed).code).toBe(1006);
    } finally {
      server.close();
    }
  });

  it('is refused under 8 s, as uWS refuses it (uWS terminates the process, so this runs on the node transport only)', () => {
    expect(() => nodeTransport.App().ws('/quick', { idleTimeout: 4 })).toThrow('idleTimeout must be either 0 or greater than 8!');
  });
});
