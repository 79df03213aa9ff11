/**
 * Records one call as a two-channel 16-bit PCM WAV at 8 kHz (left: caller, right: agent) on the caller's timeline,
 * written to a local file in batches so the file on disk is a playable WAV up to the last batch at any moment.
 *
 * Timeline: 0 is Twilio's stream start (`start(atMs)`), counted in samples (8 a ms). Caller frames sit at Twilio's
 * media timestamp. Agent audio sits where Twilio plays it: Twilio plays what it is sent in order, as it arrives, so
 * a chunk starts at the end of the agent audio queued so far, or now when Twilio is idle. "Now" is our clock, so
 * agent audio lands one network delay early relative to what the caller heard; nothing better is observable here.
 *
 * The hot path (one caller or agent frame) decodes its base64 into place in the channel's buffer (one write, no
 * allocation); mixing into 16-bit PCM and the file write happen once a batch (flushEveryMs).
 */
import { open as openFileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { base64DecodedLength } from '../wire/fastJson.js';
import { MULAW_TO_PCM16 } from './mulaw.js';
import {
  MAX_WAV_DATA_BYTES,
  WAV_DATA_SIZE_OFFSET,
  WAV_HEADER_BYTES,
  WAV_RIFF_SIZE_OFFSET,
  wavHeader,
} from './wavHeader.js';

export const RECORDING_SAMPLE_RATE = 8000;
export const RECORDING_CHANNELS = 2;
const SAMPLES_PER_MS = RECORDING_SAMPLE_RATE / 1000;
/** One stereo 16-bit sample frame. */
const FRAME_BYTES = 4;

export const DEFAULT_FLUSH_EVERY_MS = 2000;
/** The header's sizes are rewritten every this many batches (about 10 s of audio), and when the file is closed. */
export const HEADER_REFRESH_BATCHES = 5;
export const DEFAULT_MAX_AHEAD_MS = 120_000;
/**
 * How far the caller channel may fall behind our clock before a batch is written without it (silence where its
 * audio has not come). Batches normally end where the caller's audio ends (frames come in order, so nothing can still
 * land before that); this allowance only matters when caller frames stop or come late. It is long enough to ride out
 * a TCP retransmission (200 ms and more) or an event-loop stall: a frame later than that would land after the last
 * one rather than at its timestamp (written audio is never rewritten), shifting the caller channel.
 */
export const CALLER_LAG_ALLOWANCE_MS = 1000;
/** Batches waiting for the disk beyond this are dropped (silence in the file, counted) rather than queued without bound. */
export const MAX_PENDING_WRITE_BYTES = 2 * 1024 * 1024;
/** finish() writes what is left in batches of at most this, one at a time. */
const FINISH_BATCH_MS = 10_000;

/** What the recorder needs of an open file: positional writes and close (a node:fs/promises FileHandle is one). */
export interface RecordingFile {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** Opens `path` for writing; `wx`: an existing file is an error, so a recording is never overwritten. */
export type OpenRecordingFile = (path: string, flags: 'wx') => Promise<RecordingFile>;

export interface CallRecorderOptions {
  filePath: string;
  /** Milliseconds, monotonic (performance.now() by default in the relay). */
  now: () => number;
  flushEveryMs?: number;
  maxAheadMs?: number;
  /** The first batch's phase in [0, 1] (default Math.random): 1 waits the whole period. */
  random?: () => number;
  /** Rewrite the header's sizes every this many batches (default HEADER_REFRESH_BATCHES). */
  headerRefreshBatches?: number;
  open?: OpenRecordingFile;
}

export interface RecordingDrops {
  /** Agent chunks (and their ms) refused because they would end more than maxAheadMs ahead of now. */
  agentFrames: number;
  agentMs: number;
  /** Caller frames (and their ms) whose timestamp put them more than maxAheadMs ahead of now. */
  callerFrames: number;
  callerMs: number;
  /** Batches (and their ms) not written because the disk was behind by MAX_PENDING_WRITE_BYTES: silence in the file. */
  writeBatches: number;
  writeMs: number;
  /** Frames that came before start, after finish or abort, or after a failure. */
  ignoredFrames: number;
}

export interface RecordingResult {
  filePath: string;
  /** The file's size: header and the data written (0 when it was never opened). */
  bytes: number;
  durationMs: number;
  channels: 2;
  sampleRate: 8000;
  format: 'pcm_s16le';
  dropped: RecordingDrops;
  /** Caller frames placed later than their timestamp (they overlapped earlier audio or came after their slot was written). */
  shiftedCallerFrames: number;
  /** Agent audio removed by clear() before it played, in ms. */
  clearedAgentMs: number;
  /** Why recording stopped early (open or write failed, aborted, never started); null when it ran to finish(). */
  failed: string | null;
}

type Phase = 'idle' | 'recording' | 'closing';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Batch buffers written and free again, by size, shared by every recorder: a 2 s batch is 64 KB, and allocating one
 * per batch per call (100 a second at 200 calls) kept the collector busy enough to show in the relay's p99.
 */
const freeBatchBuffers = new Map<number, Buffer[]>();
const MAX_FREE_BATCH_BUFFERS = 16;

function takeBatchBuffer(bytes: number): Buffer {
  const reused = freeBatchBuffers.get(bytes)?.pop();
  if (reused === undefined) return Buffer.alloc(bytes);
  reused.fill(0);
  return reused;
}

function giveBatchBuffer(buffer: Buffer): void {
  const free = freeBatchBuffers.get(buffer.length) ?? [];
  if (free.length >= MAX_FREE_BATCH_BUFFERS) return;
  free.push(buffer);
  freeBatchBuffers.set(buffer.length, free);
}


/** Mu-law silence (decodes to 0). */
const MULAW_SILENCE = 0xff;
const INITIAL_CHANNEL_BYTES = 4096;

/**
 * One channel's audio not yet written, as mu-law bytes on the timeline from `base` (the last batch's end): each frame
 * is decoded into place as it comes (one base64 write into a buffer the channel keeps), so no frame's string outlives
 * its message. Keeping the strings until the batch (2 s, 200 calls) had them promoted to the old generation and the
 * collector's pauses showed in the relay's p99. Gaps are silence; the buffer grows to what is queued (bounded by the
 * recorder's maxAheadMs) and is reused.
 */
class ChannelBuffer {
  private data = Buffer.alloc(INITIAL_CHANNEL_BYTES, MULAW_SILENCE);
  private base = 0;
  /** The end of the audio held (a sample index on the timeline), at least `base`. */
  private end = 0;

  push(payload: string, at: number, samples: number): void {
    if (at < this.base) return;
    const offset = at - this.base;
    this.ensure(offset + samples);
    // What a malformed payload does not decode to stays silence.
    this.data.write(payload, offset, samples, 'base64');
    if (at + samples > this.end) this.end = at + samples;
  }

  /** Decodes [from, to) into `out` (interleaved stereo, this channel at `channel`) and forgets what ends by `to`. */
  render(from: number, to: number, out: Int16Array, channel: number): void {
    const first = Math.max(from, this.base);
    const last = Math.min(to, this.end);
    const data = this.data;
    let o = (first - from) * 2 + channel;
    for (let i = first - this.base, stop = last - this.base; i < stop; i++, o += 2) out[o] = MULAW_TO_PCM16[data[i] as number] as number;
    this.discardUpTo(to);
  }

  /** Forgets the audio before `to`. */
  discardUpTo(to: number): void {
    if (to <= this.base) return;
    const held = this.end - this.base;
    const shift = to - this.base;
    if (shift >= held) {
      this.data.fill(MULAW_SILENCE, 0, held);
      this.base = Number.isFinite(to) ? to : this.end;
      this.end = this.base;
      return;
    }
    this.data.copy(this.data, 0, shift, held);
    this.data.fill(MULAW_SILENCE, held - shift, held);
    this.base = to;
  }

  /** Removes audio at or after `at`; returns the samples removed. */
  cutFrom(at: number): number {
    if (at >= this.end) return 0;
    const from = Math.max(at, this.base);
    const removed = this.end - from;
    this.data.fill(MULAW_SILENCE, from - this.base, this.end - this.base);
    this.end = from;
    return removed;
  }

  clearAll(): void {
    this.discardUpTo(Number.POSITIVE_INFINITY);
  }

  private ensure(bytes: number): void {
    if (bytes <= this.data.length) return;
    const bigger = Buffer.alloc(Math.max(bytes, this.data.length * 2), MULAW_SILENCE);
    this.data.copy(bigger, 0, 0, this.end - this.base);
    this.data = bigger;
  }
}

async function writeFully(file: RecordingFile, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await file.write(buf, done, buf.length - done, position + done);
    if (!(bytesWritten > 0)) throw new Error('short write');
    done += bytesWritten;
  }
}

function reasonOf(what: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return `${what}: ${code}`;
  return `${what}: ${error instanceof Error ? error.name : 'error'}`;
}

const defaultOpen: OpenRecordingFile = (path, flags) => openFileHandle(path, flags);

/**
 * The timeline mixer and batched writer of one call's recording. Never throws to its caller: a failure is kept in
 * `failed` and later audio is ignored. Memory holds at most a batch of caller audio (plus the lag allowance) and the
 * agent audio queued ahead of now (at most maxAheadMs).
 */
export class CallRecorder {
  readonly filePath: string;
  private readonly now: () => number;
  private readonly open: OpenRecordingFile;
  private readonly flushEverySamples: number;
  /** Samples the next batch waits for: the period, the first time a random part of it. */
  private nextBatchSamples: number;
  private readonly maxAheadSamples: number;
  private readonly lagAllowanceSamples = CALLER_LAG_ALLOWANCE_MS * SAMPLES_PER_MS;
  private phase: Phase = 'idle';
  private startedAt = 0;
  private file: RecordingFile | null = null;
  private failure: string | null = null;
  private readonly callerAudio = new ChannelBuffer();
  private readonly agentAudio = new ChannelBuffer();
  /** Timeline positions, in samples: rendered into batches up to here; caller and agent audio end here. */
  private flushed = 0;
  private callerEnd = 0;
  private agentEnd = 0;
  /** The header is on disk; and the data bytes on disk with the header saying so. */
  private headerWritten = false;
  private writtenDataBytes = 0;
  private pendingWriteBytes = 0;
  /** Writes run one at a time, in order; every step catches its own errors. */
  private writes: Promise<void> = Promise.resolve();
  private readonly riffSize = Buffer.alloc(4);
  private readonly dataSize = Buffer.alloc(4);
  private result: Promise<RecordingResult> | null = null;
  private readonly drops: RecordingDrops = {
    agentFrames: 0,
    agentMs: 0,
    callerFrames: 0,
    callerMs: 0,
    writeBatches: 0,
    writeMs: 0,
    ignoredFrames: 0,
  };
  private shiftedCallerFrames = 0;
  private batchesSinceHeader = 0;
  private readonly headerRefreshBatches: number;
  /** The data size the header on disk says. */
  private headerDataBytes = 0;
  private clearedAgentSamples = 0;

  constructor(options: CallRecorderOptions) {
    this.filePath = options.filePath;
    this.now = options.now;
    this.open = options.open ?? defaultOpen;
    this.flushEverySamples = Math.max(1, Math.round((options.flushEveryMs ?? DEFAULT_FLUSH_EVERY_MS) * SAMPLES_PER_MS));
    // The first batch comes after a random part of the period: calls that started together do not all render in the
    // same tick every period (200 of them at once held the event loop for tens of ms).
    const phase = Math.min(1, Math.max(0, (options.random ?? Math.random)()));
    this.nextBatchSamples = Math.max(1, Math.round(this.flushEverySamples * (0.25 + 0.75 * phase)));
    this.maxAheadSamples = Math.max(0, Math.round((options.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS) * SAMPLES_PER_MS));
    this.headerRefreshBatches = Math.max(1, options.headerRefreshBatches ?? HEADER_REFRESH_BATCHES);
  }

  /** Why recording stopped, or null while it runs (or ran to finish). */
  get failed(): string | null {
    return this.failure;
  }

  /** Resolves once the writes queued so far are done (on disk, or failed). Never rejects. */
  written(): Promise<void> {
    return this.writes;
  }

  /** Timeline 0 is `atMs` on the `now` clock (Twilio's stream start). Opens the file and writes the header; once. */
  start(atMs: number): void {
    if (this.phase !== 'idle' || this.result !== null) return;
    this.phase = 'recording';
    this.startedAt = atMs;
    this.writes = this.writes.then(() => this.openFile());
  }

  /** One caller frame (base64 mu-law) at Twilio's media timestamp (ms since the stream start), or after the last one when null. */
  caller(payloadB64: string, timestampMs: number | null): void {
    if (this.phase !== 'recording') {
      this.drops.ignoredFrames++;
      return;
    }
    try {
      const samples = Math.floor(base64DecodedLength(payloadB64));
      if (samples <= 0) return;
      const now = this.timelineNow();
      // Never before audio already rendered, nor over the previous frame.
      const earliest = Math.max(this.callerEnd, this.flushed);
      let at = earliest;
      if (timestampMs !== null && Number.isFinite(timestampMs)) {
        at = Math.floor(timestampMs * SAMPLES_PER_MS);
        if (at < earliest) {
          this.shiftedCallerFrames++;
          at = earliest;
        }
      }
      if (at + samples > now + this.maxAheadSamples) {
        this.drops.callerFrames++;
        this.drops.callerMs += samples / SAMPLES_PER_MS;
        return;
      }
      this.callerAudio.push(payloadB64, at, samples);
      this.callerEnd = at + samples;
      this.flushIfDue(now);
    } catch (error) {
      this.fail(reasonOf('recording failed', error));
    }
  }

  /** Agent audio (base64 mu-law) sent to Twilio now: it plays after what is queued, or now when nothing is. */
  agent(payloadB64: string): void {
    if (this.phase !== 'recording') {
      this.drops.ignoredFrames++;
      return;
    }
    try {
      const samples = Math.floor(base64DecodedLength(payloadB64));
      if (samples <= 0) return;
      const now = this.timelineNow();
      const at = Math.max(this.agentEnd, now, this.flushed);
      if (at + samples > now + this.maxAheadSamples) {
        this.drops.agentFrames++;
        this.drops.agentMs += samples / SAMPLES_PER_MS;
        return;
      }
      this.agentAudio.push(payloadB64, at, samples);
      this.agentEnd = at + samples;
      this.flushIfDue(now);
    } catch (error) {
      this.fail(reasonOf('recording failed', error));
    }
  }

  /**
   * Writes the batch that is due by now even when no frame comes to trigger it (Twilio stalled, the caller's stream
   * paused): the file on disk keeps up with the call, for a crash. Cheap when nothing is due; never throws.
   */
  tick(): void {
    if (this.phase !== 'recording') return;
    try {
      this.flushIfDue(this.timelineNow());
    } catch (error) {
      this.fail(reasonOf('recording failed', error));
    }
  }

  /** Twilio was told `clear` now: agent audio queued beyond now never plays, so the agent channel stops here. */
  clear(): void {
    if (this.phase !== 'recording') return;
    try {
      const now = this.timelineNow();
      // Batches never go past now, so what is cut is all still in memory.
      this.clearedAgentSamples += this.agentAudio.cutFrom(now);
      if (this.agentEnd > now) this.agentEnd = now;
    } catch (error) {
      this.fail(reasonOf('recording failed', error));
    }
  }

  /**
   * Writes everything up to the end of the call (the later of the caller's last frame and now; agent audio queued
   * beyond it never played), fixes the header and closes the file. Idempotent; never rejects.
   */
  finish(): Promise<RecordingResult> {
    this.result ??= this.close(true);
    return this.result;
  }

  /** Stops at once: nothing more is rendered, writes already queued complete, the file is closed. Never rejects. */
  async abort(): Promise<void> {
    this.result ??= this.close(false);
    await this.result;
  }

  // ---- internals ----

  /** Now on the timeline, in samples (never negative). */
  private timelineNow(): number {
    const ms = this.now() - this.startedAt;
    return ms > 0 ? Math.floor(ms * SAMPLES_PER_MS) : 0;
  }

  /**
   * Where the next batch may end. Not past now: agent audio beyond it is still queued at Twilio and a clear can still
   * remove it. Not past what the caller channel can still receive: its frames come in order, so nothing more lands
   * before the end of its last frame; when the caller falls behind now by more than the lag allowance, its missing
   * audio is given up as silence so the file (and memory) keep moving.
   */
  private flushPoint(now: number): number {
    const callerFinal = Math.max(this.callerEnd, now - this.lagAllowanceSamples);
    return Math.max(this.flushed, Math.min(now, callerFinal));
  }

  private flushIfDue(now: number): void {
    const point = this.flushPoint(now);
    if (point - this.flushed < this.nextBatchSamples) return;
    this.nextBatchSamples = this.flushEverySamples;
    this.renderBatch(point, false);
  }

  /** Renders [flushed, to) into one interleaved buffer and queues its write (or drops it when the disk is behind). */
  private renderBatch(to: number, mustWrite: boolean): void {
    const from = this.flushed;
    if (to <= from) return;
    if (to * FRAME_BYTES > MAX_WAV_DATA_BYTES) {
      this.fail('recording too long for a WAV file');
      return;
    }
    const frames = to - from;
    const bytes = frames * FRAME_BYTES;
    this.flushed = to;
    if (!mustWrite && this.pendingWriteBytes + bytes > MAX_PENDING_WRITE_BYTES) {
      // The file keeps its timeline: the batch's span stays a hole, which reads as silence once later audio is written.
      this.callerAudio.discardUpTo(to);
      this.agentAudio.discardUpTo(to);
      this.drops.writeBatches++;
      this.drops.writeMs += frames / SAMPLES_PER_MS;
      return;
    }
    // Zeroed (silence) and aligned for the Int16Array view; reused across calls once written (no GC churn).
    const out = takeBatchBuffer(bytes);
    const pcm = new Int16Array(out.buffer, out.byteOffset, frames * 2);
    this.callerAudio.render(from, to, pcm, 0);
    this.agentAudio.render(from, to, pcm, 1);
    if (!LITTLE_ENDIAN) out.swap16();
    this.pendingWriteBytes += bytes;
    const position = WAV_HEADER_BYTES + from * FRAME_BYTES;
    const dataEnd = to * FRAME_BYTES;
    this.writes = this.writes.then(() => this.writeBatch(out, position, dataEnd));
  }

  private async openFile(): Promise<void> {
    try {
      this.file = await this.open(this.filePath, 'wx');
    } catch (error) {
      this.fail(reasonOf('open failed', error));
      return;
    }
    try {
      const header = wavHeader({ channels: RECORDING_CHANNELS, sampleRate: RECORDING_SAMPLE_RATE, bitsPerSample: 16, dataBytes: 0 });
      await writeFully(this.file, header, 0);
      this.headerWritten = true;
    } catch (error) {
      this.fail(reasonOf('write failed', error));
      await this.closeFile();
    }
  }

  /** Data first, then the two sizes: the header never claims bytes that are not on disk. */
  private async writeBatch(out: Buffer, position: number, dataEnd: number): Promise<void> {
    try {
      const file = this.file;
      // Closed after a failure: nothing more is written.
      if (file === null) return;
      await writeFully(file, out, position);
      this.writtenDataBytes = dataEnd;
      // The header's sizes every HEADER_REFRESH_BATCHES batches (and at the end): two small writes saved per batch
      // in between; a file a crash left is repaired on the next start (repairWav) whatever its header says.
      if (++this.batchesSinceHeader >= this.headerRefreshBatches) await this.writeSizes(file);
    } catch (error) {
      this.fail(reasonOf('write failed', error));
      await this.closeFile();
    } finally {
      this.pendingWriteBytes -= out.length;
      giveBatchBuffer(out);
    }
  }

  /** The header's two sizes brought up to what is written. */
  private async writeSizes(file: RecordingFile): Promise<void> {
    this.batchesSinceHeader = 0;
    const dataEnd = this.writtenDataBytes;
    this.riffSize.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataEnd, 0);
    this.dataSize.writeUInt32LE(dataEnd, 0);
    await writeFully(file, this.riffSize, WAV_RIFF_SIZE_OFFSET);
    await writeFully(file, this.dataSize, WAV_DATA_SIZE_OFFSET);
    this.headerDataBytes = dataEnd;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    if (file === null) return;
    try {
      await file.close();
    } catch (error) {
      if (this.failure === null) this.failure = reasonOf('close failed', error);
    }
  }

  private fail(reason: string): void {
    if (this.failure === null) this.failure = reason;
    if (this.phase === 'recording') this.phase = 'closing';
    this.callerAudio.clearAll();
    this.agentAudio.clearAll();
  }

  private async close(writeRest: boolean): Promise<RecordingResult> {
    const wasIdle = this.phase === 'idle';
    this.phase = 'closing';
    if (wasIdle) {
      this.failure ??= 'never started';
    } else if (writeRest && this.failure === null) {
      try {
        const end = Math.max(this.callerEnd, this.timelineNow(), this.flushed);
        // One batch at a time, each after the previous one is on disk: memory stays at one batch.
        const step = FINISH_BATCH_MS * SAMPLES_PER_MS;
        while (this.flushed < end && this.failure === null) {
          await this.writes;
          this.renderBatch(Math.min(end, this.flushed + step), true);
        }
      } catch (error) {
        this.fail(reasonOf('recording failed', error));
      }
    }
    this.callerAudio.clearAll();
    this.agentAudio.clearAll();
    await this.writes;
    // A failure of the writes already queued (the open) says more than the abort that followed it.
    if (!writeRest) this.failure ??= 'aborted';
    if (this.file !== null && this.headerDataBytes !== this.writtenDataBytes) {
      await this.writeSizes(this.file).catch((error: unknown) => {
        if (this.failure === null) this.failure = reasonOf('write failed', error);
      });
    }
    await this.closeFile();
    const bytes = this.writtenDataBytes;
    return {
      filePath: this.filePath,
      bytes: this.headerWritten ? WAV_HEADER_BYTES + bytes : 0,
      durationMs: bytes / FRAME_BYTES / SAMPLES_PER_MS,
      channels: 2,
      sampleRate: 8000,
      format: 'pcm_s16le',
      dropped: { ...this.drops },
      shiftedCallerFrames: this.shiftedCallerFrames,
      clearedAgentMs: this.clearedAgentSamples / SAMPLES_PER_MS,
      failed: this.failure,
    };
  }
}
