import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { SpoolWriter } from './spoolWriter.js';

const NEWLINE = 0x0a;

/**
 * How the spool's files are written: whole lines, fsynced (the file and its directory, so a new file survives a
 * power cut), and never a record glued to a torn one.
 */
export class SpoolFiles {
  constructor(
    private readonly writer: SpoolWriter,
    private readonly logger: Logger,
  ) {}

  /**
   * Appends whole lines. An append that fails (a full disk cuts it short) is truncated away, so the file ends with
   * its last whole record; and if the file still does not end with a newline (a crash tore a write), the new text
   * starts on a fresh line.
   */
  async append(path: string, text: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a+');
    try {
      const { size } = await handle.stat();
      const fresh = size === 0 || (await lastByte(handle, size)) === NEWLINE;
      try {
        await this.writer.write(handle, Buffer.from(fresh ? text : `\n${text}`, 'utf8'));
        await handle.sync();
      } catch (error) {
        await handle
          .truncate(size)
          .then(() => handle.sync())
          .catch((truncateError: unknown) => this.logger.error({ err: reasonOf(truncateError), file: path }, 'torn spool write could not be truncated'));
        throw error;
      }
    } finally {
      await handle.close();
    }
    await syncDirectory(path);
  }

  /** Writes the whole file anew (a temporary file, fsynced, renamed over it). */
  async replace(path: string, text: string): Promise<void> {
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await this.writer.write(handle, Buffer.from(text, 'utf8'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncDirectory(path);
  }
}

/** A spool file's text; '' when it does not exist. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

async function lastByte(handle: FileHandle, size: number): Promise<number | undefined> {
  const { bytesRead, buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
  return bytesRead === 1 ? buffer[0] : undefined;
}

async function syncDirectory(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
