import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RecordingKeyError,
  RecordingRangeError,
  type RecordingStore,
  type StoredRecording,
} from '../../src/recordings/recordingStore.js';

/** Larger than one S3 multipart part (5 MiB), so the S3 store goes up in two parts. */
const LARGE_FILE_BYTES = 5 * 1024 * 1024 + 123;
/** S3 keeps Last-Modified to the second. */
const CLOCK_SLACK_MS = 2_000;

export const BAD_KEYS = [
  '',
  '/2026/12/01/abs.wav',
  '../outside.wav',
  '2026/../../outside.wav',
  '2026/..',
  '..',
  '.',
  '2026/./a.wav',
  '2026//a.wav',
  '2026/',
  'a b.wav',
  'a\\b.wav',
  'C:/a.wav',
  'caf\u00e9.wav',
  'a\u0000.wav',
  'a.wav?x=1',
  'x'.repeat(513),
];

/** Bytes that differ from their neighbours, so that a range off by one reads as wrong. */
export function patternBytes(length: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 17 + (i >> 8)) % 251;
  return bytes;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function listAll(store: RecordingStore): Promise<StoredRecording[]> {
  const found: StoredRecording[] = [];
  for await (const recording of store.list()) found.push(recording);
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The behaviour every RecordingStore shares. `makeStore` gives an empty store for each test; the calling file owns
 * whatever the stores need (a temporary root, a server) and cleans it up.
 */
export function describeRecordingStoreContract(name: string, makeStore: () => Promise<RecordingStore>): void {
  describe(`${name} (RecordingStore contract)`, () => {
    let sources: string;
    let counter = 0;

    beforeAll(async () => {
      sources = await mkdtemp(join(tmpdir(), 'psb-recording-src-'));
    });
    afterAll(async () => {
      await rm(sources, { recursive: true, force: true });
    });

    /** A local file holding bytes, as a finished recording would be. */
    async function sourceFile(bytes: Buffer): Promise<string> {
      const path = join(sources, `call-${++counter}.wav`);
      await writeFile(path, bytes);
      return path;
    }

    async function read(store: RecordingStore, key: string, range?: { start: number; end: number }): Promise<Buffer> {
      const stream = await store.read(key, range);
      expect(stream).not.toBeNull();
      return readAll(stream as Readable);
    }

    it('stores a file, states its size and date, reads it back whole and leaves the file in place', async () => {
      const store = await makeStore();
      const bytes = patternBytes(10_000);
      const file = await sourceFile(bytes);
      const key = '2026/12/01/CA0123456789abcdef0123456789abcdef.wav';
      const before = Date.now();

      await expect(store.putFile(key, file)).resolves.toEqual({ bytes: 10_000 });

      const stat = await store.stat(key);
      expect(stat).toMatchObject({ key, bytes: 10_000 });
      expect(stat?.lastModified).toBeInstanceOf(Date);
      expect(stat?.lastModified.getTime()).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS);
      expect(stat?.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + CLOCK_SLACK_MS);
      expect((await read(store, key)).equals(bytes)).toBe(true);
      expect((await readFile(file)).equals(bytes)).toBe(true);
    });

    it('stores an empty file', async () => {
      const store = await makeStore();

      await expect(store.putFile('2026/12/01/empty.wav', await sourceFile(Buffer.alloc(0)))).resolves.toEqual({
        bytes: 0,
      });

      expect(await store.stat('2026/12/01/empty.wav')).toMatchObject({ bytes: 0 });
      expect((await read(store, '2026/12/01/empty.wav')).length).toBe(0);
    });

    it.each([
      ['the first byte', 0, 0],
      ['the first bytes', 0, 99],
      ['a middle run', 1_000, 2_999],
      ['one inner byte', 4_321, 4_321],
      ['the last byte', 9_999, 9_999],
      ['the last bytes', 9_900, 9_999],
      ['every byte', 0, 9_999],
    ])('reads a range: %s (%i-%i)', async (_label, start, end) => {
      const store = await makeStore();
      const bytes = patternBytes(10_000, 1);
      await store.putFile('2026/12/01/range.wav', await sourceFile(bytes));

      const got = await read(store, '2026/12/01/range.wav', { start, end });

      expect(got.length).toBe(end - start + 1);
      expect(got.equals(bytes.subarray(start, end + 1))).toBe(true);
    });

    it('refuses a range no file has', async () => {
      const store = await makeStore();
      await store.putFile('a.wav', await sourceFile(patternBytes(10)));

      await expect(store.read('a.wav', { start: 5, end: 4 })).rejects.toBeInstanceOf(RecordingRangeError);
      await expect(store.read('a.wav', { start: -1, end: 4 })).rejects.toBeInstanceOf(RecordingRangeError);
      await expect(store.read('a.wav', { start: 0.5, end: 4 })).rejects.toBeInstanceOf(RecordingRangeError);
    });

    it('overwrites a key with a shorter file', async () => {
      const store = await makeStore();
      const first = patternBytes(5_000, 2);
      const second = patternBytes(1_234, 3);
      await store.putFile('2026/12/01/same.wav', await sourceFile(first));

      await expect(store.putFile('2026/12/01/same.wav', await sourceFile(second))).resolves.toEqual({ bytes: 1_234 });

      expect(await store.stat('2026/12/01/same.wav')).toMatchObject({ bytes: 1_234 });
      expect((await read(store, '2026/12/01/same.wav')).equals(second)).toBe(true);
      expect(await listAll(store)).toHaveLength(1);
    });

    it('answers null for an absent key', async () => {
      const store = await makeStore();
      await store.putFile('2026/12/01/present.wav', await sourceFile(patternBytes(10)));

      expect(await store.stat('2026/12/01/absent.wav')).toBeNull();
      expect(await store.read('2026/12/01/absent.wav')).toBeNull();
      expect(await store.read('2026/12/01/absent.wav', { start: 0, end: 0 })).toBeNull();
      expect(await store.stat('2027/absent.wav')).toBeNull();
    });

    it('deletes a key; deleting an absent key is no error', async () => {
      const store = await makeStore();
      await store.putFile('2026/12/01/gone.wav', await sourceFile(patternBytes(100)));
      await store.putFile('2026/12/01/kept.wav', await sourceFile(patternBytes(200)));

      await store.delete('2026/12/01/gone.wav');
      await store.delete('2026/12/01/gone.wav');
      await store.delete('2027/01/01/never.wav');

      expect(await store.stat('2026/12/01/gone.wav')).toBeNull();
      expect(await store.read('2026/12/01/gone.wav')).toBeNull();
      expect(await store.stat('2026/12/01/kept.wav')).toMatchObject({ bytes: 200 });
    });

    it('lists every recording it holds, with sizes and dates', async () => {
      const store = await makeStore();
      expect(await listAll(store)).toEqual([]);
      const puts: Array<[string, number]> = [
        ['2026/11/30/CA01.wav', 10],
        ['2026/12/01/CA02.wav', 20],
        ['2026/12/01/CA03.wav', 30],
        ['2026/12/02/CA04.wav', 40],
        ['top.wav', 50],
      ];
      for (const [key, length] of puts) await store.putFile(key, await sourceFile(patternBytes(length)));
      await store.delete('2026/12/01/CA03.wav');

      const listed = await listAll(store);

      expect(listed.map(({ key, bytes }) => ({ key, bytes }))).toEqual([
        { key: '2026/11/30/CA01.wav', bytes: 10 },
        { key: '2026/12/01/CA02.wav', bytes: 20 },
        { key: '2026/12/02/CA04.wav', bytes: 40 },
        { key: 'top.wav', bytes: 50 },
      ]);
      for (const recording of listed) expect(recording.lastModified).toBeInstanceOf(Date);
    });

    it('rejects bad keys on every method and writes nothing', async () => {
      const store = await makeStore();
      const file = await sourceFile(patternBytes(10));

      for (const key of BAD_KEYS) {
        await expect(store.putFile(key, file), JSON.stringify(key)).rejects.toBeInstanceOf(RecordingKeyError);
        await expect(store.stat(key), JSON.stringify(key)).rejects.toBeInstanceOf(RecordingKeyError);
        await expect(store.read(key), JSON.stringify(key)).rejects.toBeInstanceOf(RecordingKeyError);
        await expect(store.delete(key), JSON.stringify(key)).rejects.toBeInstanceOf(RecordingKeyError);
      }

      expect(await listAll(store)).toEqual([]);
    });

    it('round-trips a file of more than 5 MB byte for byte', async () => {
      const store = await makeStore();
      const bytes = patternBytes(LARGE_FILE_BYTES, 4);
      const key = '2026/12/01/CAlarge.wav';

      await expect(store.putFile(key, await sourceFile(bytes))).resolves.toEqual({ bytes: LARGE_FILE_BYTES });

      expect(await store.stat(key)).toMatchObject({ bytes: LARGE_FILE_BYTES });
      const got = await read(store, key);
      expect(got.length).toBe(LARGE_FILE_BYTES);
      expect(sha256(got)).toBe(sha256(bytes));
      const acrossParts = { start: 5 * 1024 * 1024 - 10, end: 5 * 1024 * 1024 + 9 };
      expect((await read(store, key, acrossParts)).equals(bytes.subarray(acrossParts.start, acrossParts.end + 1))).toBe(
        true,
      );
    });

    it('stores nothing when its signal is already aborted', async () => {
      const store = await makeStore();
      const file = await sourceFile(patternBytes(10));

      await expect(store.putFile('aborted.wav', file, AbortSignal.abort())).rejects.toMatchObject({
        name: 'AbortError',
      });

      expect(await store.stat('aborted.wav')).toBeNull();
      expect(await listAll(store)).toEqual([]);
    });

    it('stores nothing when its signal aborts while it starts', async () => {
      const store = await makeStore();
      const file = await sourceFile(patternBytes(10_000));
      const controller = new AbortController();

      const put = store.putFile('aborted.wav', file, controller.signal);
      // Fires during the store's first file-system await, before any byte can have been written.
      setImmediate(() => controller.abort());

      await expect(put).rejects.toMatchObject({ name: 'AbortError' });
      expect(await store.stat('aborted.wav')).toBeNull();
    });

    it('rejects a source file that does not exist and stores nothing', async () => {
      const store = await makeStore();

      await expect(store.putFile('missing.wav', join(sources, 'no-such-file.wav'))).rejects.toMatchObject({
        code: 'ENOENT',
      });

      expect(await listAll(store)).toEqual([]);
    });
  });
}
