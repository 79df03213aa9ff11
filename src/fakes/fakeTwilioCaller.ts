import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { parseTwilioOutbound } from '../twilio/mediaStreamMessages.js';
import { base64DecodedLength } from '../wire/fastJson.js';

/**
 * A fake Twilio caller: a WebSocket client speaking the Media Streams protocol to our server, as Twilio does for a
 * `<Connect><Stream>`. It sends `connected`, `start` and 20 ms mu-law `media` frames (real-time paced with a
 * drift-corrected timer, or as fast as possible), and simulates playback of what the server sends back: audio plays
 * at 8 bytes/ms, a `mark` is echoed once the audio before it has played, and `clear` drops queued audio and echoes
 * every pending mark at once, as Twilio documents.
 */

export const FRAME_MS = 20;
export const FRAME_BYTES = 160;
const BYTES_PER_MS = 8;

/** Mu-law silence (0xFF is the zero level). */
const SILENCE_B64 = Buffer.alloc(FRAME_BYTES, 0xff).toString('base64');
/** A loud 400 Hz tone in mu-law: enough energy for a VAD to call it speech. */
const SPEECH_B64 = (() => {
  const frame = Buffer.alloc(FRAME_BYTES);
  for (let n = 0; n < FRAME_BYTES; n++) frame[n] = linearToMulaw(Math.round(12_000 * Math.sin((2 * Math.PI * 400 * n) / 8000)));
  return frame.toString('base64');
})();

function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(Math.abs(sample), 32_635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export interface FakeTwilioCallerOptions {
  /** ws://host:port/twilio/voice/stream */
  url: string;
  callSid?: string;
  from?: string;
  streamSid?: string;
  accountSid?: string;
  /** Extra custom parameters besides callSid and from. */
  customParameters?: Record<string, string>;
  /** Upgrade request headers, e.g. { 'x-twilio-signature': ... }. */
  headers?: Record<string, string>;
  /** Pace frames and playback in real time (default true); false sends and "plays" instantly. */
  realTime?: boolean;
  /** Send `connected` and `start` on open (default true). */
  autoStart?: boolean;
}

export interface ReceivedMedia {
  at: number;
  bytes: number;
  payload: string;
}
export interface ReceivedMark {
  at: number;
  name: string;
}
export interface ReceivedClear {
  at: number;
  /** Bytes of server audio played when the clear arrived. */
  playedBytes: number;
  /** Bytes of queued audio it dropped. */
  droppedBytes: number;
}
export interface EchoedMark {
  at: number;
  name: string;
  /** Echoed because a clear emptied the buffer, not because its audio played. */
  viaClear: boolean;
}

/** Everything the server sent, with arrival times (performance.now()). */
export interface Received {
  media: ReceivedMedia[];
  marks: ReceivedMark[];
  clears: ReceivedClear[];
  echoed: EchoedMark[];
  /** Messages that are not valid Twilio outbound messages, or carry the wrong streamSid. */
  invalid: { at: number; raw: string; reason: string }[];
}

export interface CloseInfo {
  code: number;
  reason: string;
}

type QueueEntry = { kind: 'mark'; name: string; atBytes: number };

export class FakeTwilioCaller {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  readonly from: string;
  readonly received: Received = { media: [], marks: [], clears: [], echoed: [], invalid: [] };
  /** Resolves when the socket closes, whoever closed it. */
  readonly closed: Promise<CloseInfo>;

  private readonly realTime: boolean;
  /** The chunk numbers sent as speech (1-based, as Twilio numbers them; chunk n's timestamp is (n - 1) x 20 ms). */
  readonly speechChunks: number[] = [];
  private sequence = 0;
  private chunk = 0;
  private speechFrames = 0;
  private speechWaiters: { untilChunk: number; resolve: () => void }[] = [];
  private streamTimer: NodeJS.Timeout | undefined;
  private streamStartedAt = 0;
  private framesSentSinceStart = 0;
  private stopped = false;
  private isClosed = false;

  // Playback simulation: the play head moves at 8 bytes/ms while audio is queued.
  private queuedBytes = 0;
  private playedBase = 0;
  private playStartedAt = 0;
  private marks: QueueEntry[] = [];
  private markTimer: NodeJS.Timeout | undefined;
  /** Playback stalled: marks are not echoed until released (a `clear` still echoes them, as Twilio does). */
  private marksHeld = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: FakeTwilioCallerOptions,
  ) {
    this.realTime = options.realTime ?? true;
    this.callSid = options.callSid ?? `CA${randomHex(32)}`;
    this.streamSid = options.streamSid ?? `MZ${randomHex(32)}`;
    this.accountSid = options.accountSid ?? `AC${randomHex(32)}`;
    this.from = options.from ?? '+15555550100';
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.stopStreaming();
        if (this.markTimer) clearTimeout(this.markTimer);
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
  }

  /** Opens the stream socket; rejects when the server refuses the upgrade (e.g. 403 on a bad signature). */
  static async connect(options: FakeTwilioCallerOptions): Promise<FakeTwilioCaller> {
    const ws = new WebSocket(options.url, { headers: options.headers ?? {} });
    // Settles once: a refused upgrade also ends in an error event after we drop the socket.
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: ${res.statusCode ?? 0}`));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        resolve();
      });
    });
    const caller = new FakeTwilioCaller(ws, options);
    if (options.autoStart ?? true) caller.sendStart();
    return caller;
  }

  /** When `start` was sent (performance.now()), null before. */
  startSentAt: number | null = null;

  /** Twilio's `start` to the first agent audio frame received, in ms: the caller's time to greeting. */
  timeToGreetingMs(): number | null {
    const first = this.received.media[0];
    return this.startSentAt === null || first === undefined ? null : Math.max(0, first.at - this.startSentAt);
  }

  /** Sends `connected` then `start`, as Twilio does first on every stream. */
  sendStart(): void {
    this.startSentAt = performance.now();
    this.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    this.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: String(++this.sequence),
        start: {
          accountSid: this.accountSid,
          streamSid: this.streamSid,
          callSid: this.callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { callSid: this.callSid, from: this.from, ...this.options.customParameters },
        },
        streamSid: this.streamSid,
      }),
    );
  }

  /** Real time: one frame every 20 ms (silence unless speaking) until hang-up. Fast mode: one frame, no continuous stream. */
  startStreaming(): void {
    // Fast mode has no continuous stream; one frame says the stream carries audio (a model takes no caller turn
    // before any caller audio, as the real one).
    if (!this.realTime) {
      if (this.chunk === 0) this.sendFrames(1);
      return;
    }
    if (this.streamTimer !== undefined || this.stopped) return;
    this.streamStartedAt = performance.now();
    this.framesSentSinceStart = 0;
    this.tick();
  }

  /** Stops the continuous stream (the socket stays open). */
  stopStreaming(): void {
    if (this.streamTimer !== undefined) clearTimeout(this.streamTimer);
    this.streamTimer = undefined;
  }

  /**
   * Speaks for `ms` (non-silent frames). Real time: the next frames of the stream (the stream starts if needed),
   * resolving once they are sent. Fast mode: sends them at once.
   */
  speak(ms: number): Promise<void> {
    const frames = Math.max(1, Math.ceil(ms / FRAME_MS));
    if (!this.realTime) {
      this.sendFrames(frames, 'speech');
      return Promise.resolve();
    }
    this.speechFrames += frames;
    const untilChunk = this.chunk + this.speechFrames;
    const done = new Promise<void>((resolve) => this.speechWaiters.push({ untilChunk, resolve }));
    this.startStreaming();
    return done;
  }

  /** Sends `count` frames immediately, whatever the pacing. */
  sendFrames(count: number, kind: 'silence' | 'speech' = 'silence'): void {
    for (let n = 0; n < count; n++) this.sendFrame(kind === 'speech' ? SPEECH_B64 : SILENCE_B64);
  }

  /** A keypress. */
  sendDtmf(digit: string): void {
    this.send(
      JSON.stringify({
        event: 'dtmf',
        streamSid: this.streamSid,
        sequenceNumber: String(++this.sequence),
        dtmf: { track: 'inbound_track', digit },
      }),
    );
  }

  /** Any raw text, for tests of malformed input. */
  sendRaw(text: string): void {
    this.send(text);
  }

  /** The caller hangs up: Twilio sends `stop` and closes the socket. Resolves once closed. */
  async hangUp(): Promise<CloseInfo> {
    this.stopStreaming();
    if (!this.isClosed && !this.stopped) {
      this.stopped = true;
      this.send(
        JSON.stringify({
          event: 'stop',
          sequenceNumber: String(++this.sequence),
          stop: { accountSid: this.accountSid, callSid: this.callSid },
          streamSid: this.streamSid,
        }),
      );
      this.ws.close(1000, 'hangup');
    }
    return this.closed;
  }

  /** Drops the socket without a `stop` (a network failure). */
  terminate(): void {
    this.stopStreaming();
    this.ws.terminate();
  }

  /**
   * Stops echoing marks, as if playback stalled (a caller whose audio never finishes playing): the server's wait for
   * a mark, e.g. the goodbye's, then runs into its own timeout. A `clear` still echoes pending marks.
   */
  holdMarks(): void {
    this.marksHeld = true;
  }

  /** Echoes the marks held back (their audio has now played) and resumes echoing. */
  releaseMarks(): void {
    this.marksHeld = false;
    this.echoDueMarks();
  }

  /** Bytes of server audio played so far. */
  playedBytes(): number {
    if (!this.realTime) return this.queuedBytes;
    return Math.min(this.queuedBytes, this.playedBase + Math.floor((performance.now() - this.playStartedAt) * BYTES_PER_MS));
  }

  /** Bytes of server audio received (played or not). */
  receivedBytes(): number {
    let total = 0;
    for (const m of this.received.media) total += m.bytes;
    return total;
  }

  /** Whether server audio is still waiting to be played. */
  isPlaying(): boolean {
    return this.playedBytes() < this.queuedBytes;
  }

  /** Media frames sent so far. */
  framesSent(): number {
    return this.chunk;
  }

  private tick(): void {
    // Drift-corrected: send every frame that is due by now, then sleep until the next one is.
    const elapsed = performance.now() - this.streamStartedAt;
    const due = Math.floor(elapsed / FRAME_MS) + 1;
    while (this.framesSentSinceStart < due && !this.isClosed) {
      this.framesSentSinceStart++;
      if (this.speechFrames > 0) {
        this.speechFrames--;
        this.sendFrame(SPEECH_B64);
      } else {
        this.sendFrame(SILENCE_B64);
      }
    }
    if (this.isClosed || this.stopped) return;
    const nextAt = this.streamStartedAt + this.framesSentSinceStart * FRAME_MS;
    this.streamTimer = setTimeout(() => this.tick(), Math.max(0, nextAt - performance.now()));
  }

  private sendFrame(payload: string): void {
    if (this.isClosed || this.stopped) return;
    this.chunk++;
    if (payload === SPEECH_B64) this.speechChunks.push(this.chunk);
    // Twilio's own key order, so the server's fast path is exercised.
    this.send(
      `{"event":"media","sequenceNumber":"${++this.sequence}","media":{"track":"inbound","chunk":"${this.chunk}",` +
        `"timestamp":"${(this.chunk - 1) * FRAME_MS}","payload":"${payload}"},"streamSid":"${this.streamSid}"}`,
    );
    if (this.speechWaiters.length > 0) {
      const ready = this.speechWaiters.filter((w) => w.untilChunk <= this.chunk);
      this.speechWaiters = this.speechWaiters.filter((w) => w.untilChunk > this.chunk);
      for (const w of ready) w.resolve();
    }
  }

  private send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const at = performance.now();
    const raw = data.toString('utf8');
    const message = isBinary ? ({ event: 'invalid', reason: 'binary frame' } as const) : parseTwilioOutbound(raw);
    if (message.event === 'invalid') {
      this.received.invalid.push({ at, raw: raw.slice(0, 200), reason: message.reason });
      return;
    }
    if (message.streamSid !== this.streamSid) {
      this.received.invalid.push({ at, raw: raw.slice(0, 200), reason: 'wrong streamSid' });
      return;
    }
    switch (message.event) {
      case 'media': {
        const bytes = base64DecodedLength(message.media.payload);
        this.received.media.push({ at, bytes, payload: message.media.payload });
        this.enqueueAudio(bytes);
        break;
      }
      case 'mark':
        this.received.marks.push({ at, name: message.mark.name });
        this.marks.push({ kind: 'mark', name: message.mark.name, atBytes: this.queuedBytes });
        this.echoDueMarks();
        break;
      case 'clear':
        this.clear(at);
        break;
    }
  }

  private enqueueAudio(bytes: number): void {
    if (this.realTime && this.playedBytes() >= this.queuedBytes) {
      // Idle player: this audio starts playing now.
      this.playedBase = this.queuedBytes;
      this.playStartedAt = performance.now();
    }
    this.queuedBytes += bytes;
    this.echoDueMarks();
  }

  private clear(at: number): void {
    const played = this.playedBytes();
    this.received.clears.push({ at, playedBytes: played, droppedBytes: this.queuedBytes - played });
    this.queuedBytes = played;
    this.playedBase = played;
    this.playStartedAt = performance.now();
    const pending = this.marks;
    this.marks = [];
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    for (const mark of pending) this.echo(mark.name, true);
  }

  private echoDueMarks(): void {
    if (this.marksHeld) return;
    const played = this.playedBytes();
    while (this.marks.length > 0 && (this.marks[0] as QueueEntry).atBytes <= played) {
      this.echo((this.marks.shift() as QueueEntry).name, false);
    }
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    const next = this.marks[0];
    if (next !== undefined && !this.isClosed) {
      const waitMs = Math.max(1, Math.ceil((next.atBytes - played) / BYTES_PER_MS));
      this.markTimer = setTimeout(() => this.echoDueMarks(), waitMs);
    }
  }

  private echo(name: string, viaClear: boolean): void {
    this.received.echoed.push({ at: performance.now(), name, viaClear });
    this.send(
      JSON.stringify({
        event: 'mark',
        sequenceNumber: String(++this.sequence),
        streamSid: this.streamSid,
        mark: { name },
      }),
    );
  }
}

function randomHex(length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}
