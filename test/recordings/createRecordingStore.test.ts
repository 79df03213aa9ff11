import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRecordingStore } from '../../src/recordings/createRecordingStore.js';
import { DirectoryRecordingStore } from '../../src/recordings/directoryRecordingStore.js';
import { createS3Client, S3RecordingStore } from '../../src/recordings/s3RecordingStore.js';

// The SDK's first client prints a notice that its 2027 releases need Node 22 (a process warning, on stderr).
beforeAll(() => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

// Nothing here touches the disk or the network: stores and clients do no I/O until used.
describe('createRecordingStore', () => {
  it('is the directory store when no bucket is given', () => {
    const store = createRecordingStore({ dir: 'var/recordings' });

    expect(store.kind).toBe('directory');
    expect(store).toBeInstanceOf(DirectoryRecordingStore);
    expect((store as DirectoryRecordingStore).rootDir).toBe(resolve('var/recordings'));
  });

  it('is the directory store when the bucket name is empty (an unset variable)', () => {
    const store = createRecordingStore({ dir: 'var/recordings', s3: { bucket: '' } });

    expect(store).toBeInstanceOf(DirectoryRecordingStore);
  });

  it('is the S3 store when a bucket is given, under the given prefix', () => {
    const store = createRecordingStore({
      dir: 'var/recordings',
      s3: { bucket: 'psb-recordings', prefix: 'calls/', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1' },
    });

    expect(store.kind).toBe('s3');
    expect(store).toBeInstanceOf(S3RecordingStore);
    expect(store).toMatchObject({ bucket: 'psb-recordings', prefix: 'calls' });
  });

  it('is the S3 store at the bucket root when no prefix is given', () => {
    const store = createRecordingStore({ dir: 'var/recordings', s3: { bucket: 'psb-recordings', region: 'eu-west-1' } });

    expect(store).toMatchObject({ kind: 's3', bucket: 'psb-recordings', prefix: '' });
  });
});

describe('createS3Client', () => {
  it('addresses a custom endpoint path-style, in us-east-1 unless told otherwise', async () => {
    const client = createS3Client({ endpoint: 'http://127.0.0.1:9000' });
    try {
      expect(client.config.forcePathStyle).toBe(true);
      expect(await client.config.region()).toBe('us-east-1');
      const endpoint = await client.config.endpoint?.();
      expect(endpoint).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: 9000 });
    } finally {
      client.destroy();
    }
  });

  it('keeps the given region with a custom endpoint', async () => {
    const client = createS3Client({ endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1' });
    try {
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      client.destroy();
    }
  });

  it('uses AWS itself, virtual-hosted, without an endpoint', async () => {
    const client = createS3Client({ region: 'eu-west-1' });
    try {
      expect(client.config.forcePathStyle).toBe(false);
      expect(client.config.endpoint).toBeUndefined();
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      client.destroy();
    }
  });

  it('uses the credentials it is given instead of the environment chain', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' };
    const client = createS3Client({ region: 'eu-west-1', credentials });
    try {
      expect(await client.config.credentials()).toMatchObject(credentials);
    } finally {
      client.destroy();
    }
  });
});
