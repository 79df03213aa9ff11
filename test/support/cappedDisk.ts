import { readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpoolWriter } from '../../src/outbox/spoolWriter.js';

/** tmpfs (and most file systems) hand out space in pages. */
export const PAGE_BYTES = 4096;

/**
 * The disk under one directory, with a capacity a test sets: the spool's writes (AppOverrides.spoolWriter) go to the
 * real files, but only as much as fits, the way a full tmpfs of that size behaves (checked against one: an append
 * that does not fit fills the file's last page and the free pages, a 4 KB multiple, then fails with ENOSPC). Space is
 * counted in whole pages over the directory's files, so deleting or truncating a file frees its pages.
 */
export class CappedDisk implements SpoolWriter {
  private capacity = Number.POSITIVE_INFINITY;
  /** Writes refused with ENOSPC so far. */
  refusals = 0;

  constructor(readonly dir: string) {}

  /** Leaves `freeBytes` (rounded down to pages) free beyond what the directory's files take now. */
  async fill(freeBytes = 0): Promise<void> {
    this.capacity = (await this.usedBytes()) + Math.floor(freeBytes / PAGE_BYTES) * PAGE_BYTES;
  }

  /** Room again. */
  free(): void {
    this.capacity = Number.POSITIVE_INFINITY;
  }

  async usedBytes(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let used = 0;
    for (const name of names) {
      const info = await stat(join(this.dir, name)).catch(() => null);
      if (info?.isFile()) used += Math.ceil(info.size / PAGE_BYTES) * PAGE_BYTES;
    }
    return used;
  }

  async write(handle: FileHandle, data: Uint8Array): Promise<void> {
    const { size } = await handle.stat();
    const slack = (PAGE_BYTES - (size % PAGE_BYTES)) % PAGE_BYTES;
    const freePages = Math.floor(Math.max(0, this.capacity - (await this.usedBytes())) / PAGE_BYTES);
    const room = slack + freePages * PAGE_BYTES;
    if (data.length <= room) {
      await handle.appendFile(data);
      return;
    }
    if (room > 0) await handle.appendFile(data.subarray(0, room));
    this.refusals++;
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  }
}
