import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryRecordingStore } from '../../src/recordings/directoryRecordingStore.js';
import { RecordingKeyError } from '../../src/recordings/recordingStore.js';
import { BAD_KEYS, describeRecordingStoreContract, listAll, patternBytes } from './recordingStore.contract.js';

let parent: string;
let stores = 0;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'psb-recordings-'));
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** A store on a root that does not exist yet: the first put creates it. */
function freshStore(): DirectoryRecordingStore {
  return new DirectoryRecordingStore(join(parent, `store-${++stores}`, 'root'));
}

describeRecordingStoreContract('DirectoryRecordingStore', async () => freshStore());

describe('DirectoryRecordingStore on disk', () => {
  it('keeps each recording at its key, with no temporary file left behind', async () => {
    const store = freshStore();
    const source = join(parent, `source-${stores}.wav`);
    await writeFile(source, patternBytes(64));

    await store.putFile('2026/12/01/CA01.wav', source);
    await store.putFile('2026/12/01/CA01.wav', source);

    expect(await readdir(join(store.rootDir, '2026', '12', '01'))).toEqual(['CA01.wav']);
  });

  it('never writes outside its root, whatever the key', async () => {
    const store = freshStore();
    const source = join(parent, `source-${stores}.wav`);
    await writeFile(source, patternBytes(64));
    await store.putFile('inside.wav', source);
    const around = join(store.rootDir, '..');
    const before = (await readdir(around, { recursive: true })).sort();

    for (const key of BAD_KEYS) await expect(store.putFile(key, source)).rejects.toBeInstanceOf(RecordingKeyError);

    expect((await readdir(around, { recursive: true })).sort()).toEqual(before);
    expect(before).toEqual(['root', 'root/inside.wav']);
  });

  it('lists only files a key can name: no temporary files, folders or names put there by hand', async () => {
    const store = freshStore();
    const source = join(parent, `source-${stores}.wav`);
    await writeFile(source, patternBytes(64));
    await store.putFile('2026/12/01/CA01.wav', source);
    const day = join(store.rootDir, '2026', '12', '01');
    await writeFile(join(day, 'CA02.wav.~0123abcd.tmp'), 'half a copy');
    await writeFile(join(day, 'by hand.wav'), 'x');
    await mkdir(join(store.rootDir, 'empty', 'folder'), { recursive: true });

    expect((await listAll(store)).map((r) => r.key)).toEqual(['2026/12/01/CA01.wav']);
  });

  it('answers null for a key that names a folder', async () => {
    const store = freshStore();
    const source = join(parent, `source-${stores}.wav`);
    await writeFile(source, patternBytes(64));
    await store.putFile('2026/12/01/CA01.wav', source);

    expect(await store.stat('2026/12')).toBeNull();
    expect(await store.read('2026/12')).toBeNull();
    expect(await store.stat('2026/12/01/CA01.wav/deeper.wav')).toBeNull();
  });

  it('lists nothing before its root exists', async () => {
    expect(await listAll(freshStore())).toEqual([]);
  });
});
