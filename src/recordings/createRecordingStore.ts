import { DirectoryRecordingStore } from './directoryRecordingStore.js';
import type { RecordingStore } from './recordingStore.js';
import { createS3Client, S3RecordingStore } from './s3RecordingStore.js';

export interface RecordingStoreOptions {
  /** The local directory, used when no bucket is given. */
  dir: string;
  s3?: { bucket: string; endpoint?: string; prefix?: string; region?: string };
}

/** The S3 store when a bucket is given (an empty name counts as none), else the directory store. */
export function createRecordingStore(options: RecordingStoreOptions): RecordingStore {
  const { s3 } = options;
  if (s3 === undefined || s3.bucket === '') return new DirectoryRecordingStore(options.dir);
  const client = createS3Client({ endpoint: s3.endpoint, region: s3.region });
  return new S3RecordingStore({ bucket: s3.bucket, prefix: s3.prefix, client });
}
