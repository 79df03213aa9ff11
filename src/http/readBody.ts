import type { HttpResponse } from './uws.js';
import { BadInputError } from '../errors.js';

/** The request was aborted by the client before it was answered; nothing must be written to `res` after this. */
export class RequestAbortedError extends Error {
  constructor() {
    super('request aborted');
    this.name = new.target.name;
  }
}

export class PayloadTooLargeError extends BadInputError {}

/**
 * Reads a uWS request body up to `limitBytes`. Must be called synchronously in the route handler, after which
 * `state.aborted` tells whether the response may still be written.
 */
export function readBody(res: HttpResponse, limitBytes: number, state: { aborted: boolean }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onAborted(() => {
      state.aborted = true;
      reject(new RequestAbortedError());
    });
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limitBytes) {
        failed = true;
        reject(new PayloadTooLargeError(`body larger than ${limitBytes} bytes`));
        return;
      }
      // uWS empties the ArrayBuffer after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) resolve(Buffer.concat(chunks));
    });
  });
}
