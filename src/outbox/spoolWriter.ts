import type { FileHandle } from 'node:fs/promises';

/**
 * How the spool puts bytes into a file it has open: the one seam between the spool and the disk, so a test can give
 * it a disk that fills up (a write cut short, then ENOSPC) without a real full file system.
 */
export interface SpoolWriter {
  /** Writes all of `data` at the end of the file, or throws, possibly after part of it reached the file. */
  write(handle: FileHandle, data: Uint8Array): Promise<void>;
}

/** The real disk. */
export const fileWriter: SpoolWriter = {
  write: (handle, data) => handle.appendFile(data),
};
