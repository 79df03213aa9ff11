import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, opendir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import {
  assertByteRange,
  assertRecordingKey,
  isRecordingKey,
  RecordingKeyError,
  type ByteRange,
  type RecordingStore,
  type StoredRecording,
} from './recordingStore.js';

/**
 * Recordings as files under one local directory, each at its key's relative path. Writes go to a temporary name
 * in the target's directory and are renamed into place, so a reader or the retention sweep never sees half a file.
 * Temporary names contain `~`, which no key may, so a listing can never mistake one for a recording.
 */
export class DirectoryRecordingStore implements RecordingStore {
  readonly kind = 'directory';
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  async putFile(key: string, filePath: string, signal?: AbortSignal): Promise<{ bytes: number }> {
    const target = this.pathOf(key);
    signal?.throwIfAborted();
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `${basename(target)}.~${randomBytes(6).toString('hex')}.tmp`);
    try {
      await copyFile(filePath, temp);
      // The caller deletes its file once this returns: the copy must be on disk before it takes the key's name.
      const bytes = await syncFile(temp);
      signal?.throwIfAborted();
      await rename(temp, target);
      await syncDirectory(dirname(target));
      return { bytes };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async stat(key: string): Promise<StoredRecording | null> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { key, bytes: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable | null> {
    const path = this.pathOf(key);
    if (range !== undefined) assertByteRange(range);
    // Opened here rather than by createReadStream, so that an absent key is null now instead of a stream error later.
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      // A directory opens fine on Linux and fails only when read.
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return handle.createReadStream(range === undefined ? {} : { start: range.start, end: range.end });
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async *list(): AsyncIterable<StoredRecording> {
    yield* this.walk(this.rootDir, '');
  }

  private async *walk(dir: string, keyPrefix: string): AsyncGenerator<StoredRecording> {
    let entries;
    try {
      entries = await opendir(dir);
    } catch (error) {
      if (isNotFound(error)) return; // nothing stored yet, or a folder deleted while we walked
      throw error;
    }
    for await (const entry of entries) {
      const key = `${keyPrefix}${entry.name}`;
      // Only names a key could have: this skips temporary files and anything else put here by hand.
      if (!isRecordingKey(key)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* this.walk(path, `${key}/`);
      } else if (entry.isFile()) {
        const info = await stat(path).catch((error: unknown) => {
          if (isNotFound(error)) return null; // deleted since the directory was read
          throw error;
        });
        if (info !== null) yield { key, bytes: info.size, lastModified: info.mtime };
      }
    }
  }

  /** The file of a valid key; the prefix check is a second guard behind assertRecordingKey. */
  private pathOf(key: string): string {
    assertRecordingKey(key);
    const path = resolve(this.rootDir, ...key.split('/'));
    const inside = this.rootDir.endsWith(sep) ? this.rootDir : `${this.rootDir}${sep}`;
    if (!path.startsWith(inside)) throw new RecordingKeyError(key, 'outside the store root');
    return path;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Flushes a file to disk; returns its size. */
async function syncFile(path: string): Promise<number> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/** Flushes a directory, so that a rename in it survives a crash. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
