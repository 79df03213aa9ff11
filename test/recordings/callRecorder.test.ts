import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CALLER_LAG_ALLOWANCE_MS,
  HEADER_REFRESH_BATCHES,
  CallRecorder,
  MAX_PENDING_WRITE_BYTES,
  type CallRecorderOptions,
  type OpenRecordingFile,
  type RecordingFile,
} from '../../src/recordings/callRecorder.js';
import { MULAW_TO_PCM16 } from '../../src/recordings/mulaw.js';
import { parseWavHeader } from '../../src/recordings/wavHeader.js';

// Mu-law codes with distinct, known PCM values.
const A = 0x90;
const B = 0xa0;
const C = 0xb0;
const D = 0xc0;
const X = 0x10;
const Y = 0x20;
const Z = 0x30;
const pcm = (code: number): number => MULAW_TO_PCM16[code] as number;
/** `ms` of one code as a base64 payload (8 samples a ms). */
const tone = (code: number, ms: number): string => Buffer.alloc(ms * 8, code).toString('base64');
/** Samples per ms: positions in the expected runs are in samples. */
const ms = (n: number): number => n * 8;

const T0 = 50_000;

let dir: string;
let recorders: CallRecorder[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'psb-recorder-'));
  recorders = [];
});

afterEach(async () => {
  // The crash tests leave recorders open: close their files before the directory goes.
  await Promise.all(recorders.map((r) => r.abort()));
  await rm(dir, { recursive: true, force: true });
});

function setup(options: Partial<CallRecorderOptions> = {}) {
  let t = T0 - 5_000;
  const clock = {
    /** Sets the clock to `ms` after the stream start. */
    at: (msOnTimeline: number) => {
      t = T0 + msOnTimeline;
    },
  };
  const filePath = join(dir, `call-${recorders.length}.wav`);
  // The header after every batch, unless a test asks otherwise: what is on disk can be read back batch by batch.
  // The first batch after a whole period (no random phase), unless a test asks otherwise.
  const recorder = new CallRecorder({ filePath, now: () => t, headerRefreshBatches: 1, random: () => 1, ...options });
  recorders.push(recorder);
  clock.at(0);
  recorder.start(T0);
  return { recorder, clock, filePath };
}

/** Caller frames of 20 ms of `code` from `fromMs` to `toMs`, each delivered when it ends (the clock moves with them). */
function talk(recorder: CallRecorder, clock: { at: (ms: number) => void }, fromMs: number, toMs: number, code: number): void {
  for (let ts = fromMs; ts < toMs; ts += 20) {
    clock.at(ts + 20);
    recorder.caller(tone(code, 20), ts);
  }
}

interface Wav {
  frames: number;
  left: Int16Array;
  right: Int16Array;
}

/** Reads a recording and checks it is a complete, valid 2-channel 8 kHz WAV as it stands on disk (also for wavefile). */
async function readWav(path: string): Promise<Wav> {
  const file = await readFile(path);
  const header = parseWavHeader(file);
  expect(header).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16, dataOffset: 44 });
  expect(header.dataBytes).toBe(file.length - 44);
  expect(header.riffBytes).toBe(file.length - 8);
  const [left, right] = new wavefile.WaveFile(file).getSamples(false, Int16Array) as unknown as [Int16Array, Int16Array];
  expect(left).toHaveLength(header.dataBytes / 4);
  return { frames: header.dataBytes / 4, left, right };
}

/** A channel as runs of one value: [start, end, value], in samples. */
function runs(channel: Int16Array): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < channel.length; i++) {
    const v = channel[i] as number;
    const last = out[out.length - 1];
    if (last !== undefined && last[2] === v && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1, v]);
  }
  return out;
}

/** A file opened in memory: positional writes (a hole reads as zeros), optionally held back or failing. */
class MemoryFile implements RecordingFile {
  data = Buffer.alloc(0);
  writes = 0;
  closed = false;
  private release: (() => void) | null = null;
  private gate: Promise<void> | null = null;

  constructor(private readonly failAtWrite: number | null = null) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  letGo(): void {
    this.gate = null;
    this.release?.();
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    this.writes++;
    const n = this.writes;
    if (this.gate !== null) await this.gate;
    if (this.failAtWrite !== null && n >= this.failAtWrite) throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
    if (position + length > this.data.length) {
      const bigger = Buffer.alloc(position + length);
      this.data.copy(bigger);
      this.data = bigger;
    }
    Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).copy(this.data, position);
    return { bytesWritten: length };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const opening = (file: RecordingFile): OpenRecordingFile => async () => file;

describe('CallRecorder: the timeline', () => {
  it('places caller frames at their timestamps in the left channel', async () => {
    const { recorder, clock, filePath } = setup();
    const ramp = Buffer.from(Array.from({ length: 160 }, (_, i) => 0x80 + (i % 120)));
    for (const [ts, payload] of [
      [0, tone(A, 20)],
      [20, tone(B, 20)],
      [40, tone(C, 20)],
      [100, ramp.toString('base64')],
    ] as const) {
      clock.at(ts + 20);
      recorder.caller(payload, ts);
    }
    const result = await recorder.finish();
    expect(result).toMatchObject({ filePath, bytes: 44 + ms(120) * 4, durationMs: 120, channels: 2, sampleRate: 8000, format: 'pcm_s16le', failed: null });
    const wav = await readWav(filePath);
    expect(runs(wav.left.subarray(0, ms(100)))).toEqual([
      [0, ms(20), pcm(A)],
      [ms(20), ms(40), pcm(B)],
      [ms(40), ms(60), pcm(C)],
      [ms(60), ms(100), 0],
    ]);
    // Sample for sample, in order.
    expect(Array.from(wav.left.subarray(ms(100), ms(120)))).toEqual(Array.from(ramp, (code) => pcm(code)));
    expect(runs(wav.right)).toEqual([[0, ms(120), 0]]);
  });

  it('places a frame without timestamp after the previous one, and one going backwards after the last', async () => {
    const { recorder, clock, filePath } = setup();
    clock.at(20);
    recorder.caller(tone(A, 20), 0);
    recorder.caller(tone(B, 20), null);
    recorder.caller(tone(C, 20), 0); // a repeat of timestamp 0
    clock.at(60);
    const result = await recorder.finish();
    expect(result.shiftedCallerFrames).toBe(1);
    expect(runs((await readWav(filePath)).left)).toEqual([
      [0, ms(20), pcm(A)],
      [ms(20), ms(40), pcm(B)],
      [ms(40), ms(60), pcm(C)],
    ]);
  });

  it('places agent audio back to back while it is queued, and at now after a gap', async () => {
    const { recorder, clock, filePath } = setup();
    recorder.agent(tone(X, 100));
    recorder.agent(tone(Y, 100));
    clock.at(500);
    recorder.agent(tone(Z, 100));
    clock.at(700);
    const result = await recorder.finish();
    expect(result.durationMs).toBe(700);
    const wav = await readWav(filePath);
    expect(runs(wav.right)).toEqual([
      [0, ms(100), pcm(X)],
      [ms(100), ms(200), pcm(Y)],
      [ms(200), ms(500), 0],
      [ms(500), ms(600), pcm(Z)],
      [ms(600), ms(700), 0],
    ]);
    expect(runs(wav.left)).toEqual([[0, ms(700), 0]]);
  });

  it('cuts the agent channel at a clear; later agent audio starts at now', async () => {
    const { recorder, clock, filePath } = setup();
    recorder.agent(tone(X, 1000));
    clock.at(300);
    recorder.clear();
    recorder.agent(tone(Y, 100));
    clock.at(1500);
    const result = await recorder.finish();
    expect(result.clearedAgentMs).toBe(700);
    expect(runs((await readWav(filePath)).right)).toEqual([
      [0, ms(300), pcm(X)],
      [ms(300), ms(400), pcm(Y)],
      [ms(400), ms(1500), 0],
    ]);
  });

  it('keeps agent audio that has not played out of the batches, so a clear after them still cuts it', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000 });
    recorder.agent(tone(X, 5000));
    talk(recorder, clock, 0, 2000, A);
    await recorder.written();
    // Two batches on disk, up to now and no further.
    expect((await readWav(filePath)).frames).toBe(ms(2000));
    talk(recorder, clock, 2000, 2500, B);
    recorder.clear();
    talk(recorder, clock, 2500, 3000, C);
    await recorder.finish();
    const wav = await readWav(filePath);
    expect(runs(wav.right)).toEqual([
      [0, ms(2500), pcm(X)],
      [ms(2500), ms(3000), 0],
    ]);
    expect(runs(wav.left)).toEqual([
      [0, ms(2000), pcm(A)],
      [ms(2000), ms(2500), pcm(B)],
      [ms(2500), ms(3000), pcm(C)],
    ]);
  });

  it('does not write agent audio beyond the end of the call; the end is the later of now and the caller', async () => {
    const first = setup();
    first.recorder.agent(tone(X, 2000));
    first.clock.at(500);
    expect(await first.recorder.finish()).toMatchObject({ durationMs: 500 });
    expect(runs((await readWav(first.filePath)).right)).toEqual([[0, ms(500), pcm(X)]]);

    const second = setup();
    second.recorder.agent(tone(X, 2000));
    second.clock.at(500);
    second.recorder.caller(tone(A, 20), 1000); // Twilio's clock a little ahead of ours
    expect(await second.recorder.finish()).toMatchObject({ durationMs: 1020 });
    const wav = await readWav(second.filePath);
    expect(runs(wav.right)).toEqual([[0, ms(1020), pcm(X)]]);
    expect(runs(wav.left)).toEqual([
      [0, ms(1000), 0],
      [ms(1000), ms(1020), pcm(A)],
    ]);
  });

  it('waits for late caller frames within the allowance: after a stall they still land at their timestamps', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 200 });
    talk(recorder, clock, 0, 1000, A);
    // The event loop stalls for 700 ms; the agent's audio is handled first, then the caller's frames, all late.
    clock.at(1700);
    recorder.agent(tone(X, 100));
    for (let ts = 1000; ts < 1700; ts += 20) recorder.caller(tone(B, 20), ts);
    clock.at(1800);
    const result = await recorder.finish();
    expect(result.shiftedCallerFrames).toBe(0);
    const wav = await readWav(filePath);
    expect(runs(wav.left)).toEqual([
      [0, ms(1000), pcm(A)],
      [ms(1000), ms(1700), pcm(B)],
      [ms(1700), ms(1800), 0],
    ]);
    expect(runs(wav.right)).toEqual([
      [0, ms(1700), 0],
      [ms(1700), ms(1800), pcm(X)],
    ]);
  });

  it('gives up on a silent caller after the allowance, and never rewrites: a frame later than that goes after', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000 });
    recorder.agent(tone(X, 100));
    clock.at(2500);
    recorder.agent(tone(Y, 100)); // no caller frame yet: batches go up to now - the allowance
    await recorder.written();
    const flushedMs = 2500 - CALLER_LAG_ALLOWANCE_MS;
    expect((await readWav(filePath)).frames).toBe(ms(flushedMs));
    recorder.caller(tone(A, 20), 1000); // its slot is on disk already
    clock.at(2600);
    const result = await recorder.finish();
    expect(result.shiftedCallerFrames).toBe(1);
    const wav = await readWav(filePath);
    expect(runs(wav.left)).toEqual([
      [0, ms(flushedMs), 0],
      [ms(flushedMs), ms(flushedMs + 20), pcm(A)],
      [ms(flushedMs + 20), ms(2600), 0],
    ]);
    expect(runs(wav.right)).toEqual([
      [0, ms(100), pcm(X)],
      [ms(100), ms(2500), 0],
      [ms(2500), ms(2600), pcm(Y)],
    ]);
  });
});

describe('CallRecorder: the file', () => {
  it('writes the header at start, and the file is a valid WAV after every batch (a crash loses at most one)', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000 });
    await recorder.written();
    expect((await readWav(filePath)).frames).toBe(0);
    const codes = [A, B, C, D];
    for (let second = 0; second < 4; second++) {
      recorder.agent(tone(X, 100));
      talk(recorder, clock, second * 1000, second * 1000 + 1000, codes[second] as number);
      await recorder.written();
      const wav = await readWav(filePath);
      expect(wav.frames).toBe(ms((second + 1) * 1000));
      expect(runs(wav.left).map(([, , v]) => v)).toEqual(codes.slice(0, second + 1).map(pcm));
    }
    talk(recorder, clock, 4000, 4500, A);
    await recorder.written();
    // The process dies here, without finish(): what is on disk plays, up to the last batch.
    const wav = await readWav(filePath);
    expect(wav.frames).toBe(ms(4000));
    expect(runs(wav.right)).toEqual([
      [0, ms(100), pcm(X)],
      [ms(100), ms(1000), 0],
      [ms(1000), ms(1100), pcm(X)],
      [ms(1100), ms(2000), 0],
      [ms(2000), ms(2100), pcm(X)],
      [ms(2100), ms(3000), 0],
      [ms(3000), ms(3100), pcm(X)],
      [ms(3100), ms(4000), 0],
    ]);
  });

  it('by default rewrites the header every few batches and at the end: in between the data runs ahead of it', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000, headerRefreshBatches: HEADER_REFRESH_BATCHES });
    talk(recorder, clock, 0, (HEADER_REFRESH_BATCHES - 1) * 1000 + 500, A);
    await recorder.written();
    const early = await readFile(filePath);
    // Batches written, sizes not yet: a crash here is repaired from the file's length on the next start.
    expect(parseWavHeader(early).dataBytes).toBe(0);
    expect(early.length).toBe(44 + ms((HEADER_REFRESH_BATCHES - 1) * 1000) * 4);
    talk(recorder, clock, (HEADER_REFRESH_BATCHES - 1) * 1000 + 500, HEADER_REFRESH_BATCHES * 1000 + 500, A);
    await recorder.written();
    expect(parseWavHeader(await readFile(filePath)).dataBytes).toBe(ms(HEADER_REFRESH_BATCHES * 1000) * 4);
    const result = await recorder.finish();
    expect(parseWavHeader(await readFile(filePath)).dataBytes).toBe(result.bytes - 44);
  });

  it('starts its batches at a random phase of the period, so calls that start together do not flush together', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000, random: () => 0 });
    talk(recorder, clock, 0, 260, A);
    await recorder.written();
    // A quarter of the period at the earliest phase; then whole periods.
    expect((await readWav(filePath)).frames).toBe(ms(260));
    talk(recorder, clock, 260, 1200, A);
    await recorder.written();
    expect((await readWav(filePath)).frames).toBe(ms(260));
    // The next one a whole period after the first: at 1260 ms.
    talk(recorder, clock, 1200, 1300, A);
    await recorder.written();
    expect((await readWav(filePath)).frames).toBe(ms(1260));
  });

  it('tick writes what is due when no frame comes to trigger it (the caller paused, Twilio stalled)', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000 });
    recorder.agent(tone(X, 500));
    await recorder.written();
    clock.at(3000);
    recorder.tick();
    await recorder.written();
    // No caller frame at all: the caller channel is given up as silence after the lag allowance, the agent's 500 ms kept.
    const wav = await readWav(filePath);
    expect(wav.frames).toBe(ms(3000 - CALLER_LAG_ALLOWANCE_MS));
    expect(runs(wav.right)[0]).toEqual([0, ms(500), pcm(X)]);
    // Nothing due: a tick writes nothing more.
    recorder.tick();
    await recorder.written();
    expect((await readWav(filePath)).frames).toBe(ms(3000 - CALLER_LAG_ALLOWANCE_MS));
  });

  it('aborts at once: what is on disk stays a valid WAV, nothing more is rendered', async () => {
    const { recorder, clock, filePath } = setup({ flushEveryMs: 1000 });
    talk(recorder, clock, 0, 1500, A);
    await recorder.abort();
    expect(recorder.failed).toBe('aborted');
    expect(runs((await readWav(filePath)).left)).toEqual([[0, ms(1000), pcm(A)]]);
    expect(await recorder.finish()).toMatchObject({ failed: 'aborted', durationMs: 1000, bytes: 44 + ms(1000) * 4 });
  });

  it('never overwrites an existing file', async () => {
    const filePath = join(dir, 'taken.wav');
    await writeFile(filePath, 'an earlier recording');
    const recorder = new CallRecorder({ filePath, now: () => T0 });
    recorders.push(recorder);
    recorder.start(T0);
    recorder.caller(tone(A, 20), 0);
    const result = await recorder.finish();
    expect(result).toMatchObject({ failed: 'open failed: EEXIST', bytes: 0, durationMs: 0 });
    expect(await readFile(filePath, 'utf8')).toBe('an earlier recording');
  });

  it('is idempotent in finish, and ignores audio after it, before start, and a second start', async () => {
    let t = T0;
    const filePath = join(dir, 'once.wav');
    const recorder = new CallRecorder({ filePath, now: () => t });
    recorders.push(recorder);
    recorder.caller(tone(A, 20), 0); // before start
    recorder.start(T0);
    t = T0 + 20;
    recorder.caller(tone(A, 20), 0);
    const first = recorder.finish();
    const second = recorder.finish();
    expect(second).toBe(first);
    recorder.start(T0 + 1000);
    recorder.agent(tone(X, 20));
    recorder.caller(tone(B, 20), 20);
    recorder.clear();
    const result = await first;
    expect(result).toMatchObject({ durationMs: 20, failed: null });
    expect((await recorder.finish()).dropped.ignoredFrames).toBe(3);
    await recorder.abort();
    expect(runs((await readWav(filePath)).left)).toEqual([[0, ms(20), pcm(A)]]);
  });

  it('reports a recorder that never started, without a file', async () => {
    const filePath = join(dir, 'never.wav');
    const recorder = new CallRecorder({ filePath, now: () => T0 });
    expect(await recorder.finish()).toMatchObject({ bytes: 0, durationMs: 0, failed: 'never started' });
    await expect(readFile(filePath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('CallRecorder: bounds and failures', () => {
  it('drops agent audio queued more than maxAheadMs ahead of now, and caller frames stamped that far ahead', async () => {
    const { recorder, clock, filePath } = setup({ maxAheadMs: 1000 });
    recorder.agent(tone(X, 500));
    recorder.agent(tone(Y, 500));
    recorder.agent(tone(Z, 500)); // would end at 1500 ms, now is 0
    recorder.caller(tone(A, 20), 5000);
    clock.at(500);
    recorder.agent(tone(Z, 500)); // now it fits: 1000..1500
    clock.at(1500);
    const result = await recorder.finish();
    expect(result.dropped).toMatchObject({ agentFrames: 1, agentMs: 500, callerFrames: 1, callerMs: 20 });
    expect(runs((await readWav(filePath)).right)).toEqual([
      [0, ms(500), pcm(X)],
      [ms(500), ms(1000), pcm(Y)],
      [ms(1000), ms(1500), pcm(Z)],
    ]);
  });

  it('drops batches (silence, the timeline kept) rather than queue more than the bound for a slow disk', async () => {
    const file = new MemoryFile();
    file.hold();
    const { recorder, clock } = setup({ flushEveryMs: 1000, open: opening(file) });
    const batchBytes = ms(1000) * 4;
    const fit = Math.floor(MAX_PENDING_WRITE_BYTES / batchBytes);
    const seconds = fit + 5;
    talk(recorder, clock, 0, seconds * 1000, A);
    file.letGo();
    await recorder.written();
    talk(recorder, clock, seconds * 1000, (seconds + 2) * 1000, B);
    const result = await recorder.finish();
    expect(result.dropped).toMatchObject({ writeBatches: 5, writeMs: 5000 });
    expect(result.durationMs).toBe((seconds + 2) * 1000);
    expect(file.closed).toBe(true);
    const [left] = new wavefile.WaveFile(file.data).getSamples(false, Int16Array) as unknown as [Int16Array];
    expect(runs(left)).toEqual([
      [0, ms(fit * 1000), pcm(A)],
      [ms(fit * 1000), ms(seconds * 1000), 0],
      [ms(seconds * 1000), ms((seconds + 2) * 1000), pcm(B)],
    ]);
  });

  it('never throws on a write error: it records the failure, closes the file and ignores what follows', async () => {
    const file = new MemoryFile(2); // the header goes, the first batch fails
    const { recorder, clock } = setup({ flushEveryMs: 100, open: opening(file) });
    expect(() => {
      recorder.agent(tone(X, 300));
      talk(recorder, clock, 0, 500, A);
      recorder.clear();
    }).not.toThrow();
    await recorder.written();
    expect(recorder.failed).toBe('write failed: EIO');
    expect(file.closed).toBe(true);
    expect(() => {
      recorder.caller(tone(A, 20), 500);
      recorder.agent(tone(X, 20));
      recorder.clear();
    }).not.toThrow();
    const result = await recorder.finish();
    expect(result).toMatchObject({ failed: 'write failed: EIO', bytes: 44, durationMs: 0 });
    expect(result.dropped.ignoredFrames).toBeGreaterThanOrEqual(2);
  });

  it('never throws when the file cannot be opened; abort and finish resolve', async () => {
    const refuse: OpenRecordingFile = async () => {
      throw Object.assign(new Error('no'), { code: 'EACCES' });
    };
    const { recorder, clock } = setup({ open: refuse });
    expect(() => talk(recorder, clock, 0, 200, A)).not.toThrow();
    await recorder.abort();
    await expect(recorder.abort()).resolves.toBeUndefined();
    expect(await recorder.finish()).toMatchObject({ failed: 'open failed: EACCES', bytes: 0 });
  });

  it('never throws when its clock does', async () => {
    let broken = false;
    const file = new MemoryFile();
    const recorder = new CallRecorder({
      filePath: 'unused.wav',
      open: opening(file),
      now: () => {
        if (broken) throw new Error('clock');
        return T0;
      },
    });
    recorder.start(T0);
    broken = true;
    expect(() => recorder.caller(tone(A, 20), 0)).not.toThrow();
    expect(recorder.failed).toBe('recording failed: Error');
    expect(await recorder.finish()).toMatchObject({ failed: 'recording failed: Error', bytes: 44 });
    expect(file.closed).toBe(true);
  });
});
