import type { RecognizedString } from './transportTypes.js';

/**
 * Bytes in and out of the node transport, with uWS's ownership rules: what the caller hands in is copied (uWS copies
 * into its own buffers, so the caller may reuse its memory at once), and an ArrayBuffer handed to a callback is
 * emptied when the callback returns (uWS detaches it), so code that keeps one fails on both transports alike.
 */

/** The bytes of `data` in a Buffer of their own (strings as UTF-8). */
export function ownBytes(data: RecognizedString): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  return Buffer.from(view);
}

/** `data` as text: strings as they are, bytes as latin1 (header names and values). */
export function asText(data: RecognizedString): string {
  if (typeof data === 'string') return data;
  const view = ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
  return view.toString('latin1');
}

/** A fresh ArrayBuffer holding exactly these bytes. */
export function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

type Transferable = ArrayBuffer & { transfer?: () => ArrayBuffer };

/**
 * Empties `buffer` (byteLength 0 from now on), as uWS does after a callback. ArrayBuffer.prototype.transfer (Node
 * 21+) costs about 0.5 µs; Node 20 has only structuredClone's transfer, about 3 µs.
 */
export function detach(buffer: ArrayBuffer): void {
  const transferable = buffer as Transferable;
  if (typeof transferable.transfer === 'function') transferable.transfer();
  else structuredClone(buffer, { transfer: [buffer] });
}
