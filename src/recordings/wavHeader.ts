/**
 * The canonical 44-byte header of a PCM WAV file (RIFF, WAVE, a 16-byte `fmt ` chunk, then `data`), and a parser
 * for the header of a PCM WAV file that tolerates chunks before `data` and stale sizes (it reads a prefix, not the
 * whole file: checking sizes against the file is the reader's business, see repairWav).
 */
import { AppError } from '../errors.js';

export const WAV_HEADER_BYTES = 44;
/** Where the canonical header keeps the RIFF chunk's size (file bytes - 8) and the data chunk's size. */
export const WAV_RIFF_SIZE_OFFSET = 4;
export const WAV_DATA_SIZE_OFFSET = 40;
/** The largest data chunk the header's 32-bit RIFF size can describe. */
export const MAX_WAV_DATA_BYTES = 0xffff_ffff - (WAV_HEADER_BYTES - 8);

const PCM_FORMAT_TAG = 1;
const BITS_ALLOWED = new Set([8, 16, 24, 32]);

export interface WavFormat {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
}

export interface ParsedWavHeader extends WavFormat {
  formatTag: typeof PCM_FORMAT_TAG;
  byteRate: number;
  /** Bytes of one sample frame (all channels). */
  blockAlign: number;
  /** The RIFF chunk's size as written (file bytes - 8 when the header is up to date). */
  riffBytes: number;
  /** Where the data chunk's samples start (44 for the canonical header). */
  dataOffset: number;
}

export type WavHeaderProblem = 'too_short' | 'not_riff' | 'not_wave' | 'no_fmt' | 'bad_fmt' | 'not_pcm' | 'no_data';

/** A buffer that is not the header of a PCM WAV file; `problem` says which part is wrong. */
export class WavHeaderError extends AppError {
  constructor(
    readonly problem: WavHeaderProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The 44-byte header for `dataBytes` of interleaved little-endian PCM. Throws a RangeError for a format it cannot describe. */
export function wavHeader({ channels, sampleRate, bitsPerSample, dataBytes }: WavFormat): Buffer {
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) throw new RangeError('channels must be 1..65535');
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffff_ffff) throw new RangeError('bad sampleRate');
  if (!BITS_ALLOWED.has(bitsPerSample)) throw new RangeError('bitsPerSample must be 8, 16, 24 or 32');
  const blockAlign = channels * (bitsPerSample / 8);
  const byteRate = sampleRate * blockAlign;
  if (blockAlign > 0xffff || byteRate > 0xffff_ffff) throw new RangeError('format too wide for a WAV header');
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_WAV_DATA_BYTES) throw new RangeError('bad dataBytes');
  const b = Buffer.alloc(WAV_HEADER_BYTES);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, WAV_RIFF_SIZE_OFFSET);
  b.write('WAVE', 8, 'latin1');
  b.write('fmt ', 12, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(PCM_FORMAT_TAG, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(byteRate, 28);
  b.writeUInt16LE(blockAlign, 32);
  b.writeUInt16LE(bitsPerSample, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(dataBytes, WAV_DATA_SIZE_OFFSET);
  return b;
}

/**
 * Reads the header at the start of `buf` (the first bytes of a file, enough to reach the data chunk): the format and
 * where the data starts. Chunks before `data` (LIST, fact) are skipped. Throws WavHeaderError.
 */
export function parseWavHeader(buf: Uint8Array): ParsedWavHeader {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12) throw new WavHeaderError('too_short', 'shorter than a RIFF header');
  if (b.toString('latin1', 0, 4) !== 'RIFF') throw new WavHeaderError('not_riff', 'not a RIFF file');
  if (b.toString('latin1', 8, 12) !== 'WAVE') throw new WavHeaderError('not_wave', 'not a WAVE file');
  const riffBytes = b.readUInt32LE(WAV_RIFF_SIZE_OFFSET);
  let fmt: Omit<ParsedWavHeader, 'riffBytes' | 'dataOffset' | 'dataBytes'> | null = null;
  let pos = 12;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'data') {
      if (fmt === null) throw new WavHeaderError('no_fmt', 'data chunk before any fmt chunk');
      return { ...fmt, riffBytes, dataOffset: pos + 8, dataBytes: size };
    }
    if (id === 'fmt ') {
      if (fmt !== null) throw new WavHeaderError('bad_fmt', 'two fmt chunks');
      if (size < 16) throw new WavHeaderError('bad_fmt', 'fmt chunk shorter than 16 bytes');
      if (pos + 8 + 16 > b.length) throw new WavHeaderError('too_short', 'fmt chunk cut short');
      fmt = readFmt(b, pos + 8);
    }
    // Chunks are padded to an even size.
    pos += 8 + size + (size & 1);
  }
  if (fmt === null) throw new WavHeaderError('no_fmt', 'no fmt chunk');
  throw new WavHeaderError('no_data', 'no data chunk in the bytes read');
}

function readFmt(b: Buffer, at: number): Omit<ParsedWavHeader, 'riffBytes' | 'dataOffset' | 'dataBytes'> {
  const formatTag = b.readUInt16LE(at);
  if (formatTag !== PCM_FORMAT_TAG) throw new WavHeaderError('not_pcm', `format tag ${formatTag} is not PCM`);
  const channels = b.readUInt16LE(at + 2);
  const sampleRate = b.readUInt32LE(at + 4);
  const byteRate = b.readUInt32LE(at + 8);
  const blockAlign = b.readUInt16LE(at + 12);
  const bitsPerSample = b.readUInt16LE(at + 14);
  if (channels < 1 || sampleRate < 1 || !BITS_ALLOWED.has(bitsPerSample)) {
    throw new WavHeaderError('bad_fmt', 'channels, sample rate or bits per sample out of range');
  }
  if (blockAlign !== channels * (bitsPerSample / 8) || byteRate !== sampleRate * blockAlign) {
    throw new WavHeaderError('bad_fmt', 'block align or byte rate does not match the format');
  }
  return { formatTag, channels, sampleRate, bitsPerSample, byteRate, blockAlign };
}
