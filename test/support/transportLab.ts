import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import WebSocket, { type ClientOptions } from 'ws';
import { nodeTransport } from '../../src/http/nodeTransport.js';
import type { TemplatedApp, Transport } from '../../src/http/transportTypes.js';
import { chooseTransport } from '../../src/http/uws.js';

/**
 * The transports a conformance test runs against: always the node transport, and native uWS where its binary loads
 * (Node 20), so each expectation is checked against the real uWS too. On Node 22 the list is node-http alone.
 */
export function transportsUnderTest(): Array<[string, Transport]> {
  const found: Array<[string, Transport]> = [['node-http', nodeTransport]];
  try {
    found.unshift(['uws-native', chooseTransport('uws').transport]);
  } catch {
    // No native binary for this Node: nothing to compare with.
  }
  return found;
}

export interface RunningApp {
  port: number;
  close(): void;
}

/** Builds an app on `transport`, listens on a free port of 127.0.0.1. */
export function startApp(transport: Transport, build: (app: TemplatedApp) => void): Promise<RunningApp> {
  const app = transport.App();
  build(app);
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (token) => {
      if (token === false) {
        reject(new Error('listen failed'));
        return;
      }
      resolve({ port: transport.us_socket_local_port(token), close: () => transport.us_listen_socket_close(token) });
    });
  });
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request; `headers` values may repeat a header (an array). Rejects when the connection drops. */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer; pauseMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      if (options.pauseMs !== undefined) {
        res.pause();
        setTimeout(() => res.resume(), options.pauseMs);
      }
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes `text` on a raw TCP connection; resolves with what came back once the server closed it or `waitMs` passed. */
export function rawExchange(port: number, text: string, waitMs = 1_000): Promise<{ received: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closedByServer: false });
    }, waitMs);
    socket.on('data', (data) => (received += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedByServer: true });
    });
    socket.write(text);
  });
}

export interface WsClient {
  ws: WebSocket;
  messages: Array<{ data: Buffer; isBinary: boolean }>;
  pings: number;
  closed: Promise<{ code: number; reason: string }>;
}

/** A `ws` client that records what it gets; resolves once open, rejects with the status of a refused upgrade. */
export async function wsClient(port: number, path: string, protocols: string[] = [], options: ClientOptions = {}): Promise<WsClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, options);
  const client: WsClient = {
    ws,
    messages: [],
    pings: 0,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer, isBinary) => client.messages.push({ data, isBinary }));
  ws.on('ping', () => client.pings++);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
    });
  });
  return client;
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused: ${status}`);
    this.name = new.target.name;
  }
}

/** Resolves with `check()`'s first defined value, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
