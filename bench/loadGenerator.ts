import { createHistogram, monitorEventLoopDelay, type IntervalHistogram, type RecordableHistogram } from 'node:perf_hooks';
import WebSocket from 'ws';
import { newDirectionStats, type DirectionStats } from './loadModel.js';
import { FRAME_MS, FRAME_TAIL_B64, readStamp, stampB64, type Stamp } from './stamp.js';

/** Resolution of the event-loop delay monitor, in ms (its floor is subtracted from the p99 it reports). */
export const LOOP_RESOLUTION_MS = 10;

/**
 * The Twilio side for load: N simulated calls, each a WebSocket to the relay sending `connected`, `start`, then a
 * stamped 160-byte mu-law `media` frame every 20 ms on a drift-corrected schedule (calls' phases spread evenly over
 * the 20 ms, as real calls are), echoing every `mark` and reading the stamps of the agent audio that comes back.
 * Frames are built from a template (one concatenation each) and written unmasked-equivalent (a zero mask), so the
 * generator stays cheaper than the server it loads.
 */

export interface GeneratorCall {
  readonly index: number;
  readonly callSid: string;
  readonly streamSid: string;
  ws: WebSocket;
  seq: number;
  twilioSeq: number;
  nextAt: number;
  lastAgentSeq: number;
  firstAgentSeq: number;
  open: boolean;
  marksEchoed: number;
  /** When `start` was sent, and the first agent frame's arrival after it (ms): the caller's time to greeting. */
  startSentAt: number;
  greetingMs: number | null;
}

export interface LoadGeneratorOptions {
  /** ws://host:port/path of the relay's media stream. */
  streamUrl: string;
  /** When set, Twilio's voice webhook is posted first (the real server pre-warms the model session). */
  webhookUrl?: string;
  /** How long after the webhook Twilio opens the stream (a few hundred ms in life); default STREAM_AFTER_WEBHOOK_MS. */
  streamDelayMs?: number;
}

/** Twilio opens the media stream this long after the voice webhook (issue 14's greeting test uses the same). */
export const STREAM_AFTER_WEBHOOK_MS = 600;

export interface LoadGenerator {
  readonly calls: readonly GeneratorCall[];
  /** Agent -> caller direction: what arrived here. */
  agent: DirectionStats;
  /** Caller frames sent since the last reset. */
  callerSent(): number;
  /** How late the schedule sent frames (microseconds): the generator's own saturation signal. */
  slip: RecordableHistogram;
  loop: IntervalHistogram;
  /** Frames are counted (sent, latency) only when stamped at or after this time. */
  windowStart: number;
  resetStats(): void;
  /** Opens `n` more calls, `batch` at a time. */
  addCalls(n: number, batch?: number): Promise<void>;
  pause(paused: boolean): void;
  /** Sends `stop` on every call and closes the sockets. */
  hangUpAll(): Promise<void>;
  close(): void;
}

const PAYLOAD_KEY = Buffer.from('"payload":"', 'latin1');
const MARK_HEAD = Buffer.from('{"event":"mark"', 'latin1');
const NAME_KEY = Buffer.from('"name":"', 'latin1');

/** Generators started by this process: each one's calls get CallSids of their own (see openCall). */
let generatorsStarted = 0;

export function startLoadGenerator(options: LoadGeneratorOptions): LoadGenerator {
  const generator = ++generatorsStarted;
  const calls: GeneratorCall[] = [];
  let agent = newDirectionStats();
  let callerSent = 0;
  let slip = createHistogram();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  let paused = false;
  let stopped = false;
  const stamp: Stamp = { stream: 0, seq: 0, sentAt: 0 };
  const origin = performance.now();
  const gen: LoadGenerator = {
    calls,
    get agent() {
      return agent;
    },
    set agent(v: DirectionStats) {
      agent = v;
    },
    callerSent: () => callerSent,
    get slip() {
      return slip;
    },
    loop,
    windowStart: 0,
    resetStats() {
      agent = newDirectionStats();
      callerSent = 0;
      slip = createHistogram();
      loop.reset();
      gen.windowStart = performance.now();
    },
    addCalls,
    pause(value) {
      paused = value;
      if (!value) {
        const now = performance.now();
        for (const call of calls) while (call.nextAt < now) call.nextAt += FRAME_MS;
      }
    },
    hangUpAll,
    close() {
      stopped = true;
      loop.disable();
      for (const call of calls) call.ws.terminate();
    },
  };

  function onServerMessage(call: GeneratorCall, data: Buffer): void {
    const p = data.indexOf(PAYLOAD_KEY);
    if (p >= 0) {
      if (call.greetingMs === null) call.greetingMs = performance.now() - call.startSentAt;
      const at = p + PAYLOAD_KEY.length;
      if (!readStamp(data.toString('latin1', at, at + 24), 0, stamp)) return;
      if (stamp.sentAt < gen.windowStart) {
        call.lastAgentSeq = stamp.seq;
        return;
      }
      agent.received++;
      agent.latency.record(Math.max(1, Math.round((performance.now() - stamp.sentAt) * 1000)));
      if (stamp.seq <= call.lastAgentSeq) agent.reordered++;
      else {
        if (call.lastAgentSeq >= 0 && stamp.seq !== call.lastAgentSeq + 1) agent.gaps++;
        call.lastAgentSeq = stamp.seq;
      }
      if (call.firstAgentSeq < 0) call.firstAgentSeq = stamp.seq;
      return;
    }
    if (data.compare(MARK_HEAD, 0, MARK_HEAD.length, 0, MARK_HEAD.length) === 0) {
      // Twilio echoes a mark once the audio before it has played; the agent audio arrives in real time, so now.
      const n = data.indexOf(NAME_KEY);
      if (n < 0) return;
      const start = n + NAME_KEY.length;
      const end = data.indexOf(0x22, start);
      const name = data.toString('latin1', start, end);
      call.ws.send(
        `{"event":"mark","sequenceNumber":"${++call.twilioSeq}","streamSid":"${call.streamSid}","mark":{"name":"${name}"}}`,
      );
      call.marksEchoed++;
    }
  }

  async function openCall(index: number): Promise<GeneratorCall> {
    // Unique across the run's servers and steps, as real CallSids are: servers share the database, and a session row
    // left by an earlier server's call of the same CallSid would be taken for that call (its stream claim included).
    const callSid = `CAbench${process.pid}g${generator}x${index.toString().padStart(6, '0')}`;
    const streamSid = `MZbench${process.pid}g${generator}x${index.toString().padStart(6, '0')}`;
    const from = `+1555${(1000000 + index).toString().slice(-7)}`;
    if (options.webhookUrl !== undefined) {
      const response = await fetch(options.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ CallSid: callSid, From: from, To: '+18005550100', AccountSid: 'ACbench' }),
      });
      await response.text();
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
      await new Promise((resolve) => setTimeout(resolve, options.streamDelayMs ?? STREAM_AFTER_WEBHOOK_MS));
    }
    const ws = new WebSocket(options.streamUrl, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      // A zero mask lets ws write the string as is (no copy, no XOR): the server still unmasks every frame.
      generateMask: (mask: Buffer) => void mask.fill(0),
    });
    const call: GeneratorCall = {
      index,
      callSid,
      streamSid,
      ws,
      seq: 0,
      twilioSeq: 0,
      nextAt: 0,
      lastAgentSeq: -1,
      firstAgentSeq: -1,
      open: false,
      marksEchoed: 0,
      startSentAt: 0,
      greetingMs: null,
    };
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      call.open = false;
    });
    ws.on('message', (data: Buffer) => onServerMessage(call, data));
    ws.send('{"event":"connected","protocol":"Call","version":"1.0.0"}');
    call.startSentAt = performance.now();
    ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: String(++call.twilioSeq),
        start: {
          accountSid: 'ACbench',
          streamSid,
          callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { callSid, from },
        },
        streamSid,
      }),
    );
    call.open = true;
    return call;
  }

  async function addCalls(n: number, batch = 50): Promise<void> {
    const first = calls.length;
    for (let i = 0; i < n; i += batch) {
      const opened = await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, (_, k) => openCall(first + i + k)),
      );
      const now = performance.now();
      for (const call of opened) {
        calls.push(call);
        // Phases spread evenly over the 20 ms frame for the final count; the first frame goes out at once.
        call.nextAt = now;
      }
    }
    rephase();
  }

  /** Spreads every call's phase evenly over the frame and sorts the schedule, so sends are smooth, not bursts. */
  function rephase(): void {
    const now = performance.now();
    const base = origin + Math.ceil((now - origin) / FRAME_MS) * FRAME_MS;
    const n = calls.length;
    calls.forEach((call, i) => {
      call.nextAt = base + (i * FRAME_MS) / n;
    });
    cursor = 0;
  }

  let cursor = 0;
  const sendFrame = (call: GeneratorCall, now: number): void => {
    const seq = call.seq++;
    const tw = ++call.twilioSeq;
    const frame =
      '{"event":"media","sequenceNumber":"' +
      tw +
      '","media":{"track":"inbound","chunk":"' +
      (seq + 1) +
      '","timestamp":"' +
      seq * FRAME_MS +
      '","payload":"' +
      stampB64(call.index, seq, now) +
      FRAME_TAIL_B64 +
      '"},"streamSid":"' +
      call.streamSid +
      '"}';
    call.ws.send(frame);
    if (now >= gen.windowStart) callerSent++;
  };

  // The schedule is cyclic (same period, sorted phases): a cursor walks it, sending what is due.
  const tick = (): void => {
    if (stopped) return;
    const n = calls.length;
    if (!paused && n > 0) {
      let now = performance.now();
      let guard = 0;
      for (;;) {
        const call = calls[cursor] as GeneratorCall;
        if (call.nextAt > now || guard++ > n * 4) break;
        if (call.open) {
          slip.record(Math.max(1, Math.round((now - call.nextAt) * 1000)));
          sendFrame(call, performance.now());
        }
        call.nextAt += FRAME_MS;
        cursor = (cursor + 1) % n;
        if ((guard & 63) === 0) now = performance.now();
      }
    }
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);

  async function hangUpAll(): Promise<void> {
    const closing = calls.map(
      (call) =>
        new Promise<void>((resolve) => {
          if (call.ws.readyState !== WebSocket.OPEN) return resolve();
          call.ws.once('close', () => resolve());
          call.ws.send(`{"event":"stop","sequenceNumber":"${++call.twilioSeq}","streamSid":"${call.streamSid}","stop":{"accountSid":"ACbench","callSid":"${call.callSid}"}}`);
          call.ws.close(1000);
          setTimeout(() => {
            call.ws.terminate();
            resolve();
          }, 5000).unref();
        }),
    );
    calls.length = 0;
    cursor = 0;
    await Promise.all(closing);
  }

  return gen;
}
