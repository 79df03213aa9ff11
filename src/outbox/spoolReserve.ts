import { randomBytes } from 'node:crypto';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SpoolWriter } from './spoolWriter.js';

const CHUNK_BYTES = 64 * 1024;

/**
 * Disk space held for the spool before it is needed: a file of `bytes` bytes beside it that the spool shrinks when
 * the disk is full, so the leads of the calls under way still fit. The spool counts as ready to take leads while
 * the reserve is whole; `ensure` (start-up, every upkeep, readiness checks) makes it whole again when it can.
 * Random bytes, not zeros: a compressing file system would store zeros in no space at all.
 */
export class SpoolReserve {
  private size: number | undefined;

  constructor(
    readonly path: string,
    readonly bytes: number,
    private readonly writer: SpoolWriter,
  ) {}

  /** Whether the whole reserve is held (as of the last `ensure` or `release`). */
  get whole(): boolean {
    return this.size !== undefined && this.size >= this.bytes;
  }

  /**
   * Grows the reserve back to its size; false (and the reserve as far as it got) when the disk cannot take it. With
   * `probeBytes`, also checks that much more would fit (written, then given back): that a lead of that size could
   * be spooled now.
   */
  async ensure(probeBytes = 0): Promise<boolean> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      this.size ??= await sizeOf(this.path);
      if (this.size >= this.bytes && probeBytes === 0) return true;
      const handle = await open(this.path, 'a');
      try {
        const target = this.bytes + probeBytes;
        try {
          while (this.size < target) {
            const chunk = randomBytes(Math.min(CHUNK_BYTES, target - this.size));
            try {
              await this.writer.write(handle, chunk);
            } finally {
              this.size = (await handle.stat()).size;
            }
          }
          await handle.sync();
        } finally {
          if (this.size > this.bytes) {
            await handle.truncate(this.bytes);
            this.size = this.bytes;
          }
        }
      } finally {
        await handle.close();
      }
      return true;
    } catch {
      return false;
    }
  }

  /** Gives at least `bytes` of the reserve back to the disk (all that is left, if less); how much it gave. */
  async release(bytes: number): Promise<number> {
    const size = this.size ?? (await sizeOf(this.path).catch(() => 0));
    if (size === 0) return 0;
    const next = Math.max(0, size - Math.max(bytes, CHUNK_BYTES));
    const handle = await open(this.path, 'r+');
    try {
      await handle.truncate(next);
    } finally {
      await handle.close();
    }
    this.size = next;
    return size - next;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
