import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallRecorder } from '../../src/recordings/callRecorder.js';
import { repairWav } from '../../src/recordings/repairWav.js';
import { parseWavHeader, wavHeader, WavHeaderError } from '../../src/recordings/wavHeader.js';

const STEREO_8K = { channels: 2, sampleRate: 8000, bitsPerSample: 16 } as const;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'psb-repair-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `frames` stereo frames whose left sample is the frame's index and right its negation. */
function frames(count: number): Buffer {
  const b = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) {
    b.writeInt16LE(i, i * 4);
    b.writeInt16LE(-i, i * 4 + 2);
  }
  return b;
}

async function wavFile(name: string, headerDataBytes: number, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([wavHeader({ ...STEREO_8K, dataBytes: headerDataBytes }), data]));
  return path;
}

async function headerOf(path: string) {
  return parseWavHeader(await readFile(path));
}

async function problemOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WavHeaderError);
  return (error as WavHeaderError).problem;
}

describe('repairWav', () => {
  it('sets stale or zero sizes from the file length', async () => {
    for (const stale of [0, 400]) {
      const path = await wavFile(`stale-${stale}.wav`, stale, frames(1000));
      expect(await repairWav(path)).toEqual({ bytes: 44 + 4000, durationMs: 125, changed: true });
      expect(await headerOf(path)).toMatchObject({ dataBytes: 4000, riffBytes: 4036 });
      const [left, right] = new wavefile.WaveFile(await readFile(path)).getSamples(false, Int16Array) as unknown as [Int16Array, Int16Array];
      expect(left).toHaveLength(1000);
      expect(left[999]).toBe(999);
      expect(right[999]).toBe(-999);
    }
  });

  it('cuts a partial trailing sample frame', async () => {
    for (const extra of [1, 2, 3]) {
      const path = await wavFile(`partial-${extra}.wav`, 0, Buffer.concat([frames(10), Buffer.alloc(extra, 7)]));
      expect(await repairWav(path)).toEqual({ bytes: 84, durationMs: 1.25, changed: true });
      expect((await stat(path)).size).toBe(84);
      expect(await headerOf(path)).toMatchObject({ dataBytes: 40, riffBytes: 76 });
    }
  });

  it('is idempotent: a sound file, or one repaired already, is left as it is', async () => {
    const path = await wavFile('again.wav', 0, Buffer.concat([frames(8), Buffer.alloc(3)]));
    const first = await repairWav(path);
    const after = await readFile(path);
    expect(await repairWav(path)).toEqual({ ...first, changed: false });
    expect(await readFile(path)).toEqual(after);
    const sound = await wavFile('sound.wav', 32, frames(8));
    expect(await repairWav(sound)).toEqual({ bytes: 76, durationMs: 1, changed: false });
  });

  it('repairs a recording the recorder left behind mid-batch', async () => {
    let t = 0;
    const path = join(dir, 'crashed.wav');
    const recorder = new CallRecorder({ filePath: path, now: () => t, flushEveryMs: 500, random: () => 1, headerRefreshBatches: 1 });
    recorder.start(0);
    for (let ts = 0; ts < 1200; ts += 20) {
      t = ts + 20;
      recorder.caller(Buffer.alloc(160, 0x90).toString('base64'), ts);
    }
    await recorder.written();
    // The header says 1000 ms; the process died while part of the next batch was reaching the disk.
    await writeFile(path, Buffer.alloc(4 * 700 + 2, 1), { flag: 'a' });
    expect(await repairWav(path)).toEqual({ bytes: 44 + 4 * (8000 + 700), durationMs: 1087.5, changed: true });
    await recorder.abort();
  });

  it('refuses a file without a RIFF/WAVE PCM header, with a typed error, and leaves it alone', async () => {
    const garbage = join(dir, 'garbage.wav');
    await writeFile(garbage, Buffer.from('this is not a wav file, only some text that goes on'));
    expect(await problemOf(repairWav(garbage))).toBe('not_riff');
    expect(await readFile(garbage, 'utf8')).toBe('this is not a wav file, only some text that goes on');

    const empty = join(dir, 'empty.wav');
    await writeFile(empty, '');
    expect(await problemOf(repairWav(empty))).toBe('too_short');

    const cut = join(dir, 'cut.wav');
    await writeFile(cut, wavHeader({ ...STEREO_8K, dataBytes: 0 }).subarray(0, 30));
    expect(await problemOf(repairWav(cut))).toBe('too_short');

    const float = new wavefile.WaveFile();
    float.fromScratch(1, 8000, '32f', [0.5, -0.5]);
    const notPcm = join(dir, 'float.wav');
    await writeFile(notPcm, Buffer.from(float.toBuffer()));
    expect(await problemOf(repairWav(notPcm))).toBe('not_pcm');

    await expect(repairWav(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
