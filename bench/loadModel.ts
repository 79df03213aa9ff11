import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { uWS, type us_listen_socket, type WebSocket } from '../src/http/uws.js';
import { FRAME_MS, FRAME_TAIL_B64, readStampBytes, stampB64, STAMP_CHARS, type Stamp } from './stamp.js';

/**
 * The model side for load: a lean fake of the OpenAI Realtime WebSocket (on the transport uws.ts chose) that answers `session.update`, and on
 * `response.create` streams one endless agent item of 20 ms `response.output_audio.delta` frames at real-time pace,
 * each stamped. Caller frames (`input_audio_buffer.append`) are read for their stamp only.
 */

const APPEND_HEAD = '{"type":"input_audio_buffer.append","audio":"';
const APPEND_HEAD_BYTES = Buffer.from(APPEND_HEAD, 'latin1');

interface ModelConn {
  id: number;
  ws: WebSocket<ModelConnData>;
  streaming: boolean;
  /** Next agent frame due at (performance.now()). */
  nextAt: number;
  seq: number;
  /** Last caller seq seen, for gaps and reordering. */
  lastCallerSeq: number;
  firstCallerSeq: number;
  prefix: string;
  closed: boolean;
}
interface ModelConnData {
  conn: ModelConn | null;
}

/** Counters of one measurement window, plus totals since the last reset. */
export interface DirectionStats {
  sent: number;
  received: number;
  reordered: number;
  gaps: number;
  latency: RecordableHistogram;
}

export function newDirectionStats(): DirectionStats {
  return { sent: 0, received: 0, reordered: 0, gaps: 0, latency: createHistogram() };
}

export interface LoadModel {
  readonly url: string;
  /** Caller -> model direction as seen here (received, gaps, reordering, latency). */
  caller: DirectionStats;
  /** Agent frames this side sent (the generator counts what arrives). */
  agentSent(): number;
  /** Agent frames due but sent late by more than a frame (this process could not keep up). */
  lateFrames(): number;
  openConnections(): number;
  /** Caller frames that never arrived at the start of calls (first seq seen, summed over connections). */
  startDropped(): number;
  /** Counts only frames stamped at or after `windowStart` from now on. */
  resetStats(windowStart: number): void;
  /** Stops streaming agent audio (before the calls hang up, so in-flight frames can be counted). */
  pause(paused: boolean): void;
  close(): void;
}

/** The fake model's own delay: its first audio comes this long after `response.create` (as in issue 14's test). */
export const MODEL_FIRST_AUDIO_MS = 400;

/** Starts the fake model on a free port of 127.0.0.1. */
export async function startLoadModel(options: { firstAudioDelayMs?: number } = {}): Promise<LoadModel> {
  const firstAudioDelayMs = options.firstAudioDelayMs ?? MODEL_FIRST_AUDIO_MS;
  const conns = new Set<ModelConn>();
  let nextId = 1;
  let caller = newDirectionStats();
  let agentSent = 0;
  let late = 0;
  let paused = false;
  let windowStart = 0;
  let startDropped = 0;
  const stamp: Stamp = { stream: 0, seq: 0, sentAt: 0 };
  const headLen = APPEND_HEAD_BYTES.length;

  const app = uWS.App();
  app.ws<ModelConnData>('/v1/realtime', {
    maxPayloadLength: 1024 * 1024,
    idleTimeout: 0,
    maxBackpressure: 4 * 1024 * 1024,
    upgrade: (res, req, context) => {
      res.upgrade<ModelConnData>(
        { conn: null },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const id = nextId++;
      const conn: ModelConn = {
        id,
        ws,
        streaming: false,
        nextAt: 0,
        seq: 0,
        lastCallerSeq: -1,
        firstCallerSeq: -1,
        prefix: `{"type":"response.output_audio.delta","event_id":"event_b${id}","response_id":"resp_b${id}","item_id":"item_b${id}","output_index":0,"content_index":0,"delta":"`,
        closed: false,
      };
      ws.getUserData().conn = conn;
      conns.add(conn);
    },
    message: (ws, message) => {
      const conn = ws.getUserData().conn;
      if (conn === null) return;
      const bytes = Buffer.from(message);
      if (bytes.length > headLen + STAMP_CHARS && bytes.compare(APPEND_HEAD_BYTES, 0, headLen, 0, headLen) === 0) {
        if (!readStampBytes(bytes, headLen, stamp)) return;
        if (conn.firstCallerSeq < 0) {
          conn.firstCallerSeq = stamp.seq;
          startDropped += stamp.seq;
        }
        if (stamp.sentAt < windowStart) {
          conn.lastCallerSeq = stamp.seq;
          return;
        }
        const now = performance.now();
        caller.received++;
        caller.latency.record(Math.max(1, Math.round((now - stamp.sentAt) * 1000)));
        if (stamp.seq <= conn.lastCallerSeq) caller.reordered++;
        else {
          if (conn.lastCallerSeq >= 0 && stamp.seq !== conn.lastCallerSeq + 1) caller.gaps++;
          conn.lastCallerSeq = stamp.seq;
        }
        return;
      }
      let event: { type?: string };
      try {
        event = JSON.parse(bytes.toString('utf8')) as { type?: string };
      } catch {
        return;
      }
      if (event.type === 'session.update') {
        ws.send(`{"type":"session.updated","event_id":"event_s${conn.id}","session":{"type":"realtime"}}`, false);
      } else if (event.type === 'response.create' && !conn.streaming) {
        conn.streaming = true;
        conn.nextAt = performance.now() + firstAudioDelayMs;
        ws.send(`{"type":"response.created","event_id":"event_r${conn.id}","response":{"id":"resp_b${conn.id}","status":"in_progress"}}`, false);
      }
    },
    close: (ws) => {
      const conn = ws.getUserData().conn;
      if (conn === null) return;
      conn.closed = true;
      conns.delete(conn);
    },
  });

  let listenSocket: us_listen_socket | null = null;
  const port = await new Promise<number>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) return reject(new Error('fake model: listen failed'));
      listenSocket = socket;
      resolve(uWS.us_socket_local_port(socket));
    });
  });

  // One drift-corrected ticker for every connection: each sends the frames that are due by now.
  const TICK_MS = 2;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const now = performance.now();
    if (!paused) {
      for (const conn of conns) {
        if (!conn.streaming || conn.closed) continue;
        if (conn.nextAt > now) continue;
        conn.ws.cork(() => {
          while (conn.nextAt <= now) {
            if (now - conn.nextAt > FRAME_MS) late++;
            const frame = conn.prefix + stampB64(conn.id, conn.seq++, performance.now()) + FRAME_TAIL_B64 + '"}';
            conn.ws.send(frame, false);
            agentSent++;
            conn.nextAt += FRAME_MS;
          }
        });
      }
    }
    setTimeout(tick, TICK_MS);
  };
  setTimeout(tick, TICK_MS);

  return {
    url: `ws://127.0.0.1:${port}/v1/realtime`,
    get caller() {
      return caller;
    },
    set caller(stats: DirectionStats) {
      caller = stats;
    },
    agentSent: () => agentSent,
    lateFrames: () => late,
    openConnections: () => conns.size,
    startDropped: () => startDropped,
    resetStats(start) {
      windowStart = start;
      caller = newDirectionStats();
      agentSent = 0;
      late = 0;
    },
    pause(value) {
      paused = value;
      if (!value) {
        // Resume on schedule from now, not with a burst of the paused time.
        const now = performance.now();
        for (const conn of conns) conn.nextAt = Math.max(conn.nextAt, now);
      }
    },
    close() {
      stopped = true;
      for (const conn of [...conns]) conn.ws.end(1001, 'bench over');
      if (listenSocket !== null) uWS.us_listen_socket_close(listenSocket);
    },
  };
}
