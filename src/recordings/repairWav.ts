/**
 * Makes a recording left by a crash playable: the recorder updates the header's sizes after each batch, so a crash
 * leaves them behind the data (or at zero), and a batch cut mid-write can end in part of a sample frame.
 */
import { open } from 'node:fs/promises';
import { parseWavHeader, WAV_RIFF_SIZE_OFFSET } from './wavHeader.js';

/** Enough to reach the data chunk of any header worth repairing (the recorder's is 44 bytes). */
const HEADER_READ_BYTES = 4096;
const MAX_RIFF_BYTES = 0xffff_ffff;

export interface RepairedWav {
  /** The file's size after the repair. */
  bytes: number;
  durationMs: number;
  /** Whether anything had to change (sizes rewritten or a partial frame cut). */
  changed: boolean;
}

/**
 * Sets the RIFF and data sizes of the PCM WAV at `filePath` from its length, first cutting a partial trailing sample
 * frame. The data chunk is taken to be the file's last (as the recorder writes it). Idempotent. Rejects with a
 * WavHeaderError when the file does not start with a RIFF/WAVE header with a PCM fmt chunk and a data chunk.
 */
export async function repairWav(filePath: string): Promise<RepairedWav> {
  const file = await open(filePath, 'r+');
  try {
    const { size } = await file.stat();
    const prefix = Buffer.alloc(Math.min(size, HEADER_READ_BYTES));
    const { bytesRead } = await file.read(prefix, 0, prefix.length, 0);
    const header = parseWavHeader(prefix.subarray(0, bytesRead));
    const available = Math.max(0, size - header.dataOffset);
    const dataBytes = available - (available % header.blockAlign);
    const bytes = header.dataOffset + dataBytes;
    if (bytes - 8 > MAX_RIFF_BYTES) throw new RangeError('too much data for a RIFF file');
    const riffBytes = bytes - 8;
    let changed = false;
    if (bytes < size) {
      await file.truncate(bytes);
      changed = true;
    }
    if (header.riffBytes !== riffBytes || header.dataBytes !== dataBytes) {
      const field = Buffer.alloc(4);
      field.writeUInt32LE(dataBytes, 0);
      await file.write(field, 0, 4, header.dataOffset - 4);
      field.writeUInt32LE(riffBytes, 0);
      await file.write(field, 0, 4, WAV_RIFF_SIZE_OFFSET);
      changed = true;
    }
    const frames = dataBytes / header.blockAlign;
    return { bytes, durationMs: (frames * 1000) / header.sampleRate, changed };
  } finally {
    await file.close();
  }
}
