/**
 * Frame stamps: the first 18 bytes of every 160-byte mu-law frame the bench sends carry a magic number, the
 * sender's sequence number and its send time (performance.now() of the bench process). The relay forwards the
 * payload verbatim, so the receiving side (generator or fake model, same process, same clock) reads the stamp back
 * from the first 24 base64 characters and knows the relay's added latency without any clock sync.
 */

export const FRAME_BYTES = 160;
export const FRAME_MS = 20;
const STAMP_BYTES = 18; // a multiple of 3: its base64 ends on a group boundary and concatenates with the rest
export const STAMP_CHARS = 24;
const MAGIC = 0xbe7c;

/** base64 of the 142 constant bytes after the stamp (mu-law silence with a little texture). */
export const FRAME_TAIL_B64 = Buffer.from(
  Array.from({ length: FRAME_BYTES - STAMP_BYTES }, (_, i) => 0xff - (i % 7)),
).toString('base64');

const stampBuf = Buffer.alloc(STAMP_BYTES);

/** base64 of one stamp (24 characters). */
export function stampB64(stream: number, seq: number, sentAt: number): string {
  stampBuf.writeUInt16BE(MAGIC, 0);
  stampBuf.writeUInt32BE(stream >>> 0, 2);
  stampBuf.writeUInt32BE(seq >>> 0, 6);
  stampBuf.writeDoubleBE(sentAt, 10);
  return stampBuf.toString('base64');
}

/** What a stamp says, written into a reused object (no allocation per frame). */
export interface Stamp {
  stream: number;
  seq: number;
  sentAt: number;
}

const readBuf = Buffer.alloc(STAMP_BYTES);

/** Reads the stamp from the 24 base64 characters at `s[at]`; false when there is none (not a bench frame). */
export function readStamp(s: string, at: number, out: Stamp): boolean {
  if (s.length < at + STAMP_CHARS) return false;
  if (readBuf.write(s.slice(at, at + STAMP_CHARS), 0, 'base64') !== STAMP_BYTES) return false;
  if (readBuf.readUInt16BE(0) !== MAGIC) return false;
  out.stream = readBuf.readUInt32BE(2);
  out.seq = readBuf.readUInt32BE(6);
  out.sentAt = readBuf.readDoubleBE(10);
  return true;
}

/** The same from bytes (a uWS ArrayBuffer): base64 text in latin1 starts at byte `at`. */
export function readStampBytes(bytes: Buffer, at: number, out: Stamp): boolean {
  if (bytes.length < at + STAMP_CHARS) return false;
  return readStamp(bytes.toString('latin1', at, at + STAMP_CHARS), 0, out);
}
