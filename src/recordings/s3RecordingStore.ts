import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertByteRange,
  assertRecordingKey,
  isRecordingKey,
  RecordingStoreError,
  type ByteRange,
  type RecordingStore,
  type StoredRecording,
} from './recordingStore.js';

/** S3's smallest multipart part; files up to this size go up in one PutObject. */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
/** Parts in flight at once: bounds an upload's memory to about (this + 1) parts. */
const UPLOAD_QUEUE_SIZE = 2;
/** ListObjectsV2's own maximum. */
const LIST_PAGE_SIZE = 1000;

export interface S3ClientOptions {
  /** An S3-compatible endpoint (MinIO, a local fake); addressed path-style. Absent: AWS itself. */
  endpoint?: string;
  /** Absent: the SDK's region chain (AWS_REGION, the shared config), or us-east-1 with a custom endpoint. */
  region?: string;
  /** Absent: the SDK's credential chain (environment, shared files, instance or task role). */
  credentials?: S3ClientConfig['credentials'];
}

/** An S3 client for recordings. */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const { endpoint, region, credentials } = options;
  return new S3Client({
    // A custom endpoint has no AWS region of its own, but the signer needs one.
    ...(region !== undefined ? { region } : endpoint !== undefined ? { region: 'us-east-1' } : {}),
    // Most S3-compatible servers do not resolve bucket subdomains.
    ...(endpoint !== undefined ? { endpoint, forcePathStyle: true } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  });
}

export interface S3RecordingStoreOptions {
  bucket: string;
  /** Folder of the bucket the recordings live under (no leading or trailing `/`); absent: the bucket's root. */
  prefix?: string;
  client: S3Client;
  /** Keys per ListObjectsV2 page (tests make it small to cover pagination). */
  listPageSize?: number;
}

/** Recordings as objects of one S3 bucket, each at `prefix/key`. */
export class S3RecordingStore implements RecordingStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly listPageSize: number;

  constructor(options: S3RecordingStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (this.prefix !== '') assertRecordingKey(this.prefix);
    this.client = options.client;
    this.listPageSize = options.listPageSize ?? LIST_PAGE_SIZE;
  }

  /**
   * Goes up through lib-storage's Upload, which sends the file in buffered parts rather than as one stream: the SDK
   * cannot retry a request whose body is a stream, and it would send a stream's checksum as an aws-chunked trailer
   * that some S3-compatible servers store as part of the object.
   */
  async putFile(key: string, filePath: string, signal?: AbortSignal): Promise<{ bytes: number }> {
    const objectKey = this.objectKey(key);
    const { size } = await stat(filePath);
    // Checked after the await and before listening, so that an abort in between is not missed.
    signal?.throwIfAborted();
    const body = createReadStream(filePath);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: objectKey,
          Body: body,
          ContentLength: size,
          ContentType: key.endsWith('.wav') ? 'audio/wav' : 'application/octet-stream',
        },
        partSize: UPLOAD_PART_BYTES,
        queueSize: UPLOAD_QUEUE_SIZE,
        leavePartsOnError: false,
        abortController: controller,
      });
      await upload.done();
      return { bytes: size };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      body.destroy();
    }
  }

  async stat(key: string): Promise<StoredRecording | null> {
    const objectKey = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      if (head.ContentLength === undefined || head.LastModified === undefined) {
        throw new RecordingStoreError('S3 HeadObject answered without Content-Length or Last-Modified');
      }
      return { key, bytes: head.ContentLength, lastModified: head.LastModified };
    } catch (error) {
      // A HEAD answer has no body, so a missing key and a missing bucket are the same bare 404.
      if (error instanceof NotFound) return null;
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable | null> {
    const objectKey = this.objectKey(key);
    if (range !== undefined) assertByteRange(range);
    let response;
    try {
      response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          ...(range !== undefined ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
    const body = response.Body;
    if (!(body instanceof Readable)) throw new RecordingStoreError('S3 GetObject answered without a Node stream');
    if (range === undefined) return body;
    const servedFrom = servedStart(response.ContentRange);
    if (servedFrom > range.start) {
      body.destroy();
      throw new RecordingStoreError('S3 GetObject served a range that starts after the one asked for');
    }
    // Exactly the bytes asked for, even from a server that widens the range (s3rver answers bytes=0-0 with the
    // whole object) or ignores it (a plain 200); a body that ends short is an error, not a short recording.
    const window = byteWindow(range.start - servedFrom, range.end - range.start + 1);
    pipeline(body, window, () => {
      // Errors reach the reader through `window`, which pipeline destroys with them.
    });
    return window;
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
  }

  async *list(): AsyncIterable<StoredRecording> {
    const keyStart = this.prefix === '' ? '' : `${this.prefix}/`;
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: this.listPageSize },
      { Bucket: this.bucket, ...(keyStart !== '' ? { Prefix: keyStart } : {}) },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(keyStart)) continue;
        const key = object.Key.slice(keyStart.length);
        // Only what this store could have written: no folder markers (`a/`), no keys put there by other tools.
        if (!isRecordingKey(key)) continue;
        // No default date: the retention sweep would take an object without one for the oldest of all.
        if (object.Size === undefined || object.LastModified === undefined) {
          throw new RecordingStoreError('S3 ListObjectsV2 listed an object without Size or LastModified');
        }
        yield { key, bytes: object.Size, lastModified: object.LastModified };
      }
    }
  }

  private objectKey(key: string): string {
    assertRecordingKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }
}

/** The first byte a GetObject answer holds: from its Content-Range, or 0 for a whole-object answer. */
function servedStart(contentRange: string | undefined): number {
  if (contentRange === undefined) return 0;
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange);
  if (match === null) throw new RecordingStoreError('S3 GetObject answered with an unreadable Content-Range');
  return Number(match[1]);
}

/** Drops the first `skip` bytes, passes the next `take`, drops the rest; fails if the input ends before `take`. */
function byteWindow(skip: number, take: number): Transform {
  let toSkip = skip;
  let toTake = take;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      let from = 0;
      if (toSkip > 0) {
        from = Math.min(toSkip, chunk.length);
        toSkip -= from;
      }
      const to = Math.min(chunk.length, from + toTake);
      if (to > from) {
        toTake -= to - from;
        callback(null, chunk.subarray(from, to));
        return;
      }
      callback();
    },
    flush(callback: TransformCallback): void {
      callback(toTake > 0 ? new RecordingStoreError('S3 GetObject body ended before the range did') : null);
    },
  });
}
