import type { Readable } from 'node:stream';
import { AppError, BadInputError } from '../errors.js';

/** One stored recording: its key (relative to the store's root or prefix), size in bytes and last write. */
export interface StoredRecording {
  key: string;
  bytes: number;
  lastModified: Date;
}

/** Bytes `start` to `end` of a recording, both included (as in an HTTP Range header). */
export interface ByteRange {
  start: number;
  end: number;
}

/** Where finished call recordings (WAV files) are kept: a local directory or an S3 bucket. */
export interface RecordingStore {
  readonly kind: 'directory' | 's3';
  /** Stores a finished local file under key (the file is left in place; the caller deletes it). Returns its size. Overwrites. */
  putFile(key: string, filePath: string, signal?: AbortSignal): Promise<{ bytes: number }>;
  /** Size and date, or null when absent. */
  stat(key: string): Promise<StoredRecording | null>;
  /** The bytes of key (a range of them when given); null when absent. Range must be validated by the caller against stat(). */
  read(key: string, range?: ByteRange): Promise<Readable | null>;
  /** Deletes key; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored recording under the store's root or prefix, for the retention sweep. */
  list(): AsyncIterable<StoredRecording>;
}

export const MAX_RECORDING_KEY_LENGTH = 512;

const KEY_CHARACTERS = /^[A-Za-z0-9/._-]+$/;

/** A recording key that is not a plain relative path; `reason` says which rule it broke. */
export class RecordingKeyError extends BadInputError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid recording key: ${reason}`);
  }
}

/** A range that no file has (negative, reversed or not whole numbers). */
export class RecordingRangeError extends BadInputError {
  constructor(readonly range: ByteRange) {
    super('invalid byte range');
  }
}

/** A storage backend answered in a way the store cannot make sense of (a short body, a range it did not ask for). */
export class RecordingStoreError extends AppError {}

/**
 * Throws a RecordingKeyError unless key is a relative path of letters, digits and `/._-`, at most 512 characters,
 * with no empty, `.` or `..` segment and no `..` anywhere. Every store checks every key with it, so a key can never
 * name a file outside the store's root or an S3 object outside its prefix.
 */
export function assertRecordingKey(key: string): void {
  if (key.length === 0) throw new RecordingKeyError(key, 'empty');
  if (key.length > MAX_RECORDING_KEY_LENGTH) throw new RecordingKeyError(key, 'too long');
  if (!KEY_CHARACTERS.test(key)) throw new RecordingKeyError(key, 'characters other than letters, digits and /._-');
  if (key.includes('..')) throw new RecordingKeyError(key, 'contains ..');
  if (key.startsWith('/')) throw new RecordingKeyError(key, 'leading /');
  if (key.split('/').some((segment) => segment === '' || segment === '.')) {
    throw new RecordingKeyError(key, 'empty or . segment');
  }
}

/** Whether key passes assertRecordingKey (for listings, which skip what a store could not have written). */
export function isRecordingKey(key: string): boolean {
  try {
    assertRecordingKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Throws a RecordingRangeError unless range is whole, non-negative and not reversed. */
export function assertByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RecordingRangeError(range);
  }
}
