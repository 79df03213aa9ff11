import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the next request gets instead of the plain answer (queued with failNext, one per request):
 * - status: that HTTP status with a Twilio-style JSON error;
 * - redirect: a redirect to `location` (absolute, or a path on this server);
 * - slow: the normal answer after `delayMs`;
 * - contentType: the recording, labelled with this content type;
 * - noLength: the recording without Content-Length (chunked), so only reading tells its size;
 * - stall: the headers and half the body, then nothing (the connection stays open until the client gives up).
 */
export type FakeTwilioFault =
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 303 | 307 | 308 }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'contentType'; contentType: string }
  | { kind: 'noLength' }
  | { kind: 'stall' };

/** One request as the fake received it. */
export interface FakeTwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The status answered; undefined while a request is held (slow, stall). */
  status?: number;
  /** Body bytes written to the socket so far. */
  bytesSent: number;
  /** The whole answer was written; false when the client hung up first (or it is still going). */
  completed: boolean;
  /** The connection of this exchange has closed. */
  closed: boolean;
}

export interface FakeTwilioApi {
  /** The API base, to pass as `apiBase` (like https://api.twilio.com). */
  readonly baseUrl: string;
  /**
   * Serves `wav` at `{RecordingUrl}.wav` (Basic auth) and, without auth, at `{baseUrl}/media/{recordingSid}.wav` (a
   * stand-in for the signed media URL a redirect may point to). Returns the RecordingUrl Twilio's webhook would send.
   */
  addRecording(recordingSid: string, wav: Buffer): string;
  readonly requests: FakeTwilioRequest[];
  /** The next requests get these faults, one each, in order. */
  failNext(...faults: FakeTwilioFault[]): void;
  close(): Promise<void>;
}

const RECORDING_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/([^/.]+)\.([a-z0-9]+)$/;
const MEDIA_PATH = /^\/media\/([^/.]+)\.wav$/;
const CHUNK_BYTES = 64 * 1024;

/** A local stand-in for Twilio's recording media API: real HTTP on 127.0.0.1, Basic auth AccountSid:AuthToken. */
export async function startFakeTwilioApi(options: { accountSid: string; authToken: string }): Promise<FakeTwilioApi> {
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  const recordings = new Map<string, Buffer>();
  const requests: FakeTwilioRequest[] = [];
  const faults: FakeTwilioFault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const sendError = (res: ServerResponse, record: FakeTwilioRequest, status: number, code: number, message: string): void => {
    record.status = status;
    const body = JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (status === 401) headers['www-authenticate'] = 'Basic realm="Twilio API"';
    res.writeHead(status, headers);
    res.end(body);
  };

  /** Writes the recording in chunks, waiting for the socket to drain, so a client that stops reading stops it. */
  const sendAudio = async (
    res: ServerResponse,
    record: FakeTwilioRequest,
    wav: Buffer,
    fault: FakeTwilioFault | undefined,
  ): Promise<void> => {
    const headers: Record<string, string | number> = {
      'content-type': fault?.kind === 'contentType' ? fault.contentType : 'audio/x-wav',
    };
    if (fault?.kind !== 'noLength') headers['content-length'] = wav.length;
    record.status = 200;
    res.writeHead(200, headers);
    const end = fault?.kind === 'stall' ? Math.floor(wav.length / 2) : wav.length;
    for (let offset = 0; offset < end; offset += CHUNK_BYTES) {
      if (res.destroyed) return;
      const chunk = wav.subarray(offset, Math.min(end, offset + CHUNK_BYTES));
      const more = res.write(chunk);
      record.bytesSent += chunk.length;
      if (!more) await drainedOrClosed(res);
    }
    if (fault?.kind !== 'stall' && !res.destroyed) res.end();
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const record: FakeTwilioRequest = {
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization,
      bytesSent: 0,
      completed: false,
      closed: false,
    };
    requests.push(record);
    res.on('finish', () => (record.completed = true));
    res.on('close', () => (record.closed = true));
    // The body, if any, is not read: let it drain.
    req.resume();

    const recordingMatch = RECORDING_PATH.exec(path);
    const mediaMatch = MEDIA_PATH.exec(path);
    if (req.method !== 'GET' || (recordingMatch === null && mediaMatch === null)) {
      return sendError(res, record, 404, 20404, `The requested resource ${path} was not found`);
    }
    if (recordingMatch !== null && req.headers.authorization !== expectedAuth) {
      return sendError(res, record, 401, 20003, 'Authenticate');
    }
    const fault = faults.shift();
    const answer = (): void => {
      if (fault?.kind === 'status') return sendError(res, record, fault.status, 20500, 'Injected failure');
      if (fault?.kind === 'redirect') {
        record.status = fault.status ?? 302;
        res.writeHead(record.status, { location: fault.location, 'content-length': 0 });
        return void res.end();
      }
      // A media URL names the recording only; a recording URL also names the account and the format.
      const account = recordingMatch === null ? options.accountSid : recordingMatch[1];
      const extension = recordingMatch === null ? 'wav' : recordingMatch[3];
      const sid = recordingMatch === null ? mediaMatch?.[1] : recordingMatch[2];
      const wav = sid === undefined ? undefined : recordings.get(sid);
      // The fake keeps WAV only: .mp3 (and any other extension) is not found.
      if (account !== options.accountSid || extension !== 'wav' || wav === undefined) {
        return sendError(res, record, 404, 20404, `The requested resource ${path} was not found`);
      }
      sendAudio(res, record, wav, fault).catch(() => res.destroy());
    };
    if (fault?.kind !== 'slow') return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) answer();
    }, fault.delayMs);
    timers.add(timer);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    requests,
    addRecording(recordingSid, wav) {
      recordings.set(recordingSid, wav);
      return `${baseUrl}/2010-04-01/Accounts/${options.accountSid}/Recordings/${recordingSid}`;
    },
    failNext(...next) {
      faults.push(...next);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
