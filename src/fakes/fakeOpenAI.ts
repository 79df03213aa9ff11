import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  emptyLeadResponder,
  handleChatCompletion,
  sendJson,
  type ChatMode,
  type ChatResponder,
  type ChatState,
  type RecordedChatRequest,
} from './fakeOpenAI/chatCompletions.js';
import { FakeRealtimeConnection, type RealtimePacing } from './fakeOpenAI/realtimeConnection.js';
import type { Script } from './fakeOpenAI/script.js';
import { createTranscriptionEndpoint, type FakeTranscriptions } from './fakeOpenAI/transcriptions.js';

export { FakeRealtimeConnection } from './fakeOpenAI/realtimeConnection.js';
export type { RealtimePacing, RecordedFunctionCall, RecordedTruncate, OutgoingEvent } from './fakeOpenAI/realtimeConnection.js';
export { scriptFromTranscript, scriptWithCapture } from './fakeOpenAI/script.js';
export type * from './fakeOpenAI/script.js';
export {
  chatResponderFromExtractor,
  conversationFromChatRequest,
  emptyLeadResponder,
} from './fakeOpenAI/chatCompletions.js';
export type { ChatMode, ChatResponder, ChatRequestBody, RecordedChatRequest } from './fakeOpenAI/chatCompletions.js';
export type { FakeTranscriptions, RecordedTranscriptionRequest, TranscriptionMode, TranscriptionResponder } from './fakeOpenAI/transcriptions.js';
export { MULAW_BYTES_PER_MS, toneMulaw, linearToMulaw, mulawToLinear } from './fakeOpenAI/mulaw.js';

export interface FakeOpenAIOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Stream agent audio at real-time pace (default false: as fast as possible). */
  realTime?: boolean;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Agent audio per word of text (default 60 ms). */
  msPerWord?: number;
  /** Size of each `response.output_audio.delta` (default 40 ms). */
  chunkMs?: number;
  /** Caller audio a caller step waits for when it does not say (default 0). */
  defaultAfterAudioMs?: number;
  /** The first agent step starts on `response.create` (default) or as soon as the socket opens. */
  startOn?: RealtimePacing['startOn'];
  /** The script for connections beyond the queue (default: a greeting, then nothing). */
  defaultScript?: Script;
  chatResponder?: ChatResponder;
}

export interface FakeOpenAI {
  /** Base URL for the OpenAI SDK, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly httpUrl: string;
  /** Realtime URL, e.g. `ws://127.0.0.1:PORT/v1/realtime` (the client adds `?model=`). */
  readonly realtimeUrl: string;
  readonly port: number;
  /** Every accepted Realtime connection, in order. */
  readonly connections: readonly FakeRealtimeConnection[];
  /** Upgrades refused (500 switch, 401, wrong path). */
  readonly refusedUpgrades: number;
  readonly chatRequests: readonly RecordedChatRequest[];
  /** `POST /v1/audio/transcriptions`: its requests, transcripts and failure mode. */
  readonly transcriptions: FakeTranscriptions;
  /** Give the next unscripted connection this script (queued in order of connection). */
  enqueueScript(steps: Script): void;
  setDefaultScript(steps: Script): void;
  /** Refuse the next `n` upgrades with HTTP 500. */
  failNextConnections(n: number): void;
  /** Hold each upgrade this long before answering, so the client's connect timeout can fire. */
  setConnectDelay(ms: number): void;
  /** Change pacing for connections from now on and for those already open (e.g. real time for one test). */
  setPacing(pacing: Partial<RealtimePacing>): void;
  chatMode(mode: ChatMode): void;
  setChatResponder(responder: ChatResponder): void;
  /** Streams the agent's audio in real time (true) or as fast as the socket takes it, from the next audio on. */
  setRealTime(realTime: boolean): void;
  /**
   * Resolves with connection `index` once it exists; without an index, with the next connection not yet returned
   * by an index-less call (a cursor), so sequential calls get successive connections.
   */
  waitForConnection(index?: number, timeoutMs?: number): Promise<FakeRealtimeConnection>;
  close(): Promise<void>;
}

const DEFAULT_SCRIPT: Script = [
  { agent: 'Thanks for calling Power Sport Buyers! I can help you get an offer on your vehicle. May I have your full name, please?' },
];

/** Start the fake OpenAI server (Realtime over WebSocket; Chat Completions and transcriptions over HTTP) on one local port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const host = options.host ?? '127.0.0.1';
  const pacing: RealtimePacing = {
    realTime: options.realTime ?? false,
    msPerWord: options.msPerWord ?? 60,
    chunkMs: options.chunkMs ?? 40,
    defaultAfterAudioMs: options.defaultAfterAudioMs ?? 0,
    startOn: options.startOn ?? 'response.create',
  };
  const chat: ChatState = {
    mode: 'ok',
    responder: options.chatResponder ?? emptyLeadResponder,
    requests: [],
    apiKey: options.apiKey,
  };
  const transcriptions = createTranscriptionEndpoint({ apiKey: options.apiKey });
  const connections: FakeRealtimeConnection[] = [];
  const queue: Script[] = [];
  let defaultScript: Script = options.defaultScript ?? DEFAULT_SCRIPT;
  let failuresLeft = 0;
  let connectDelayMs = 0;
  let refusedUpgrades = 0;
  let cursor = 0;
  const connectionWaiters = new Set<() => void>();
  const sockets = new Set<Socket | Duplex>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      handleChatCompletion(req, res, chat).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: 'fake failed', type: 'server_error' } });
      });
      return;
    }
    if (req.method === 'POST' && path === '/v1/audio/transcriptions') return void transcriptions.handle(req, res);
    sendJson(res, 404, { error: { message: `Unknown request URL: ${req.method} ${path}`, type: 'invalid_request_error' } });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  const refuse = (socket: Duplex, status: number, text: string): void => {
    refusedUpgrades++;
    const body = JSON.stringify({ error: { message: text } });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, model: string | null): void => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const script = queue.shift() ?? defaultScript;
      connections.push(new FakeRealtimeConnection(connections.length + 1, model, ws, script, pacing));
      for (const waiter of [...connectionWaiters]) waiter();
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/v1/realtime') return refuse(socket, 404, 'Not Found');
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return refuse(socket, 401, 'Unauthorized');
    }
    if (failuresLeft > 0) {
      failuresLeft--;
      return refuse(socket, 500, 'Internal Server Error');
    }
    const model = url.searchParams.get('model');
    if (connectDelayMs <= 0) return accept(req, socket, head, model);
    const timer = setTimeout(() => {
      timers.delete(timer);
      // The client may have given up meanwhile.
      if (!socket.destroyed) accept(req, socket, head, model);
    }, connectDelayMs);
    timers.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${host}:${port}`;

  return {
    httpUrl: `http://${origin}/v1`,
    realtimeUrl: `ws://${origin}/v1/realtime`,
    port,
    connections,
    get refusedUpgrades() {
      return refusedUpgrades;
    },
    chatRequests: chat.requests,
    transcriptions,
    enqueueScript: (steps) => void queue.push(steps),
    setDefaultScript: (steps) => {
      defaultScript = steps;
    },
    failNextConnections: (n) => {
      failuresLeft = n;
    },
    setConnectDelay: (ms) => {
      connectDelayMs = ms;
    },
    setPacing: (changes) => void Object.assign(pacing, changes),
    chatMode: (mode) => {
      chat.mode = mode;
    },
    setChatResponder: (responder) => {
      chat.responder = responder;
    },
    setRealTime: (realTime) => {
      pacing.realTime = realTime;
    },
    waitForConnection: (index, timeoutMs = 10_000) => {
      const wanted = index ?? cursor++;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = connections[wanted];
          if (!found) return;
          connectionWaiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          connectionWaiters.delete(check);
          reject(new Error(`fake OpenAI: no realtime connection #${wanted + 1} within ${timeoutMs} ms`));
        }, timeoutMs);
        connectionWaiters.add(check);
        check();
      });
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const connection of connections) connection.close(1001, 'fake server closing');
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      wss.close();
    },
  };
}
