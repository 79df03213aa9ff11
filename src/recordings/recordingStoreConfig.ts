import { join } from 'node:path';
import type { Config } from '../config.js';
import type { createRecordingStore } from './createRecordingStore.js';

/** The recording store the config names: S3 with RECORDINGS_S3_BUCKET, else a directory (RECORDINGS_DIR or DATA_DIR/recordings). */
export function recordingStoreOptions(config: Config): Parameters<typeof createRecordingStore>[0] {
  const dir = config.RECORDINGS_DIR ?? join(config.DATA_DIR, 'recordings');
  if (config.RECORDINGS_S3_BUCKET === undefined) return { dir };
  return {
    dir,
    s3: {
      bucket: config.RECORDINGS_S3_BUCKET,
      prefix: config.RECORDINGS_S3_PREFIX,
      region: config.RECORDINGS_S3_REGION,
      ...(config.RECORDINGS_S3_ENDPOINT ? { endpoint: config.RECORDINGS_S3_ENDPOINT } : {}),
    },
  };
}
