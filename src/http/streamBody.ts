import type { Readable } from 'node:stream';
import type { HttpResponse } from './uws.js';

/**
 * Streams `body` (exactly `totalBytes` long) into a uWS response that already has its status and headers written,
 * with back-pressure: a chunk uWS cannot take yet is kept and retried from `onWritable`, and the source is paused
 * meanwhile. The client going away (`onAborted`, which the caller must have registered and forwards through
 * `state`) destroys the source. Resolves when the response ended or was aborted; never rejects (the response is
 * closed instead).
 */
export function streamBody(res: HttpResponse, state: { aborted: boolean; onAbort?: () => void }, body: Readable, totalBytes: number): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      body.destroy();
      resolve();
    };
    state.onAbort = finish;
    if (state.aborted) {
      finish();
      return;
    }
    if (totalBytes === 0) {
      res.cork(() => res.end());
      state.aborted = true;
      finish();
      return;
    }
    body.on('error', () => {
      // Headers are out: all that is left is to cut the response short, so the client sees it incomplete.
      if (!state.aborted) {
        state.aborted = true;
        res.close();
      }
      finish();
    });
    let waitingForWritable = false;
    let sourceEnded = false;
    /** The source ended before the announced length: the client must not take the response for whole. */
    const cutShort = (): void => {
      if (!state.aborted) {
        state.aborted = true;
        res.close();
      }
      finish();
    };
    body.on('end', () => {
      sourceEnded = true;
      // The last chunk may still be waiting for the socket to drain: it finishes the response itself.
      if (!waitingForWritable) cutShort();
    });
    body.on('data', (data: Buffer | string) => {
      if (state.aborted) {
        finish();
        return;
      }
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      const arrayBuffer = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer;
      const offset = res.getWriteOffset();
      let ok = false;
      let done = false;
      res.cork(() => {
        [ok, done] = res.tryEnd(arrayBuffer, totalBytes);
      });
      if (done) {
        state.aborted = true;
        finish();
        return;
      }
      if (ok) return;
      // uWS took only part of it: pause the source and send the rest when the socket drains.
      body.pause();
      waitingForWritable = true;
      res.onWritable((writableAt) => {
        const rest = arrayBuffer.slice(writableAt - offset);
        let retryOk = false;
        let retryDone = false;
        res.cork(() => {
          [retryOk, retryDone] = res.tryEnd(rest, totalBytes);
        });
        if (retryDone) {
          state.aborted = true;
          finish();
        } else if (retryOk) {
          waitingForWritable = false;
          if (sourceEnded) cutShort();
          else body.resume();
        }
        return retryOk;
      });
    });
  });
}
