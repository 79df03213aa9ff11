import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RecordingStoreError } from '../../src/recordings/recordingStore.js';
import { createS3Client, S3RecordingStore } from '../../src/recordings/s3RecordingStore.js';
import { startLocalS3, type LocalS3 } from '../support/localS3.js';
import { describeRecordingStoreContract, listAll, patternBytes, readAll } from './recordingStore.contract.js';

const BUCKET = 'psb-recordings';
/** Small, so that the contract's listing goes through several ListObjectsV2 pages. */
const PAGE_SIZE = 2;

let s3: LocalS3;
let client: S3Client;
let sources: string;

beforeAll(async () => {
  // The SDK's first client prints a notice that its 2027 releases need Node 22 (a process warning, on stderr).
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  s3 = await startLocalS3();
  client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  sources = await mkdtemp(join(tmpdir(), 'psb-s3-src-'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  client?.destroy();
  await s3?.stop();
  if (sources !== undefined) await rm(sources, { recursive: true, force: true });
});

/** Each store gets a prefix of its own in the one bucket, so the stores of different tests never meet. */
function freshStore(prefix = `t-${randomBytes(6).toString('hex')}`): S3RecordingStore {
  return new S3RecordingStore({ bucket: BUCKET, prefix, client, listPageSize: PAGE_SIZE });
}

async function sourceFile(length: number): Promise<string> {
  const path = join(sources, `${randomBytes(6).toString('hex')}.wav`);
  await writeFile(path, patternBytes(length));
  return path;
}

describeRecordingStoreContract('S3RecordingStore', async () => freshStore());

describe('S3RecordingStore against s3rver', () => {
  it('stores each recording at prefix/key and lists only its own prefix, page by page', async () => {
    const mine = freshStore();
    const neighbour = freshStore(`${mine.prefix}-neighbour`);
    for (let i = 0; i < 5; i++) await mine.putFile(`2026/12/01/CA0${i}.wav`, await sourceFile(10 + i));
    await neighbour.putFile('2026/12/01/CA09.wav', await sourceFile(99));

    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${mine.prefix}/2026/12/01/CA03.wav` }));
    expect(head.ContentLength).toBe(13);
    expect(head.ContentType).toBe('audio/wav');
    expect((await listAll(mine)).map((r) => [r.key, r.bytes])).toEqual([
      ['2026/12/01/CA00.wav', 10],
      ['2026/12/01/CA01.wav', 11],
      ['2026/12/01/CA02.wav', 12],
      ['2026/12/01/CA03.wav', 13],
      ['2026/12/01/CA04.wav', 14],
    ]);
    expect((await listAll(neighbour)).map((r) => r.key)).toEqual(['2026/12/01/CA09.wav']);
  });

  it('lists only objects a key can name: no folder markers or keys other tools wrote', async () => {
    const store = freshStore();
    await store.putFile('2026/12/01/CA01.wav', await sourceFile(10));
    // (s3rver cannot store a key with `//`, which real S3 allows; isRecordingKey refuses it all the same.)
    for (const key of [`${store.prefix}/2026/`, `${store.prefix}/by hand.wav`, `${store.prefix}/a..b.wav`]) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    }

    expect((await listAll(store)).map((r) => r.key)).toEqual(['2026/12/01/CA01.wav']);
  });

  it('takes a prefix with slashes around it as the same folder', async () => {
    const plain = freshStore();
    const slashed = freshStore(`/${plain.prefix}/`);
    await plain.putFile('a.wav', await sourceFile(10));

    expect(slashed.prefix).toBe(plain.prefix);
    expect(await slashed.stat('a.wav')).toMatchObject({ key: 'a.wav', bytes: 10 });
  });
});

describe('S3RecordingStore with a server that bends Range', () => {
  const bytes = patternBytes(1_000, 5);

  /** A client whose GetObject answers as given (the store reads only Body and ContentRange). */
  function storeAnswering(answer: { body: Buffer; contentRange?: string }): S3RecordingStore {
    const fake = {
      send: async (command: unknown) => {
        if (!(command instanceof GetObjectCommand)) throw new Error('unexpected command');
        return { Body: Readable.from([answer.body]), ContentRange: answer.contentRange };
      },
    };
    return new S3RecordingStore({ bucket: BUCKET, client: fake as unknown as S3Client });
  }

  it('still reads only the asked-for bytes when the whole object comes back', async () => {
    const store = storeAnswering({ body: bytes });

    const stream = await store.read('a.wav', { start: 100, end: 199 });

    expect((await readAll(stream as Readable)).equals(bytes.subarray(100, 200))).toBe(true);
  });

  it('fails the stream when the body ends before the range does', async () => {
    const store = storeAnswering({ body: bytes.subarray(100, 150), contentRange: 'bytes 100-199/1000' });

    const stream = await store.read('a.wav', { start: 100, end: 199 });

    await expect(readAll(stream as Readable)).rejects.toBeInstanceOf(RecordingStoreError);
  });

  it('refuses an answer that starts after the asked-for range', async () => {
    const store = storeAnswering({ body: bytes.subarray(150, 200), contentRange: 'bytes 150-199/1000' });

    await expect(store.read('a.wav', { start: 100, end: 199 })).rejects.toBeInstanceOf(RecordingStoreError);
  });
});
