import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the fake answers: 'ok' accepts; 'fail-503' / 'fail-500' answer that status; 'unauthorized' answers 401 even
 * with good credentials; 'rate-limited' answers 429 with Retry-After; 'timeout' never answers; 'slow' accepts after
 * `slowMs`.
 */
export type FakeNpaMode = 'ok' | 'fail-503' | 'fail-500' | 'unauthorized' | 'rate-limited' | 'timeout' | 'slow';

/** One request as the fake received it. */
export interface FakeNpaRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The status the fake answered (undefined while a 'timeout' request hangs, or when the client hung up first). */
  status?: number;
  /** When the request arrived and when its exchange ended (answered, or the client hung up): Date.now() values. */
  receivedAt: number;
  endedAt?: number;
}

export interface FakeNpa {
  /** Base URL, to use as NPA_API_URL. */
  readonly url: string;
  readonly requests: FakeNpaRequest[];
  /** Accepted leads by Idempotency-Key: a repeated key is answered from here, never recorded twice. */
  readonly accepted: Map<string, { id: string; body: unknown }>;
  /** The most POSTs to /leads the fake held at once (received, not yet answered or hung up). */
  readonly peakInFlight: number;
  setMode(mode: FakeNpaMode, options?: { slowMs?: number; retryAfterSeconds?: number }): void;
  /** The next `count` authorized requests answer `status` (with Retry-After when given), then the mode resumes. */
  failNext(count: number, status: number, options?: { retryAfter?: string }): void;
  close(): Promise<void>;
}

/** A local stand-in for the NPA lead API: real HTTP on 127.0.0.1, Basic auth, idempotent on Idempotency-Key. */
export async function startFakeNpa(options: { username: string; password: string }): Promise<FakeNpa> {
  const expectedAuth = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  const requests: FakeNpaRequest[] = [];
  const accepted = new Map<string, { id: string; body: unknown }>();
  const hanging = new Set<ServerResponse>();
  let mode: FakeNpaMode = 'ok';
  let inFlight = 0;
  let peakInFlight = 0;
  let slowMs = 200;
  let retryAfterSeconds = 1;
  const failures: { status: number; retryAfter?: string }[] = [];

  const send = (res: ServerResponse, record: FakeNpaRequest, status: number, body: unknown, headers = {}): void => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const accept = (res: ServerResponse, record: FakeNpaRequest, key: string | undefined): void => {
    const previous = key === undefined ? undefined : accepted.get(key);
    if (previous) return send(res, record, 201, { id: previous.id, status: 'accepted' });
    const id = randomUUID();
    if (key !== undefined) accepted.set(key, { id, body: record.body });
    send(res, record, 201, { id, status: 'accepted' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // keep the raw text: the test can see what was sent
      }
      const record: FakeNpaRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() };
      requests.push(record);
      if (req.method !== 'POST' || req.url !== '/leads') return send(res, record, 404, { error: 'not found' });
      peakInFlight = Math.max(peakInFlight, ++inFlight);
      res.on('close', () => {
        inFlight--;
        record.endedAt = Date.now();
      });
      if (req.headers.authorization !== expectedAuth || mode === 'unauthorized') {
        return send(res, record, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Basic realm="npa"' });
      }
      if (typeof body !== 'object' || body === null) return send(res, record, 400, { error: 'body must be JSON' });
      const failure = failures.shift();
      if (failure) {
        const headers = failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter };
        return send(res, record, failure.status, { error: 'injected failure' }, headers);
      }
      const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
      switch (mode) {
        case 'ok':
          return accept(res, record, key);
        case 'fail-503':
          return send(res, record, 503, { error: 'service unavailable' });
        case 'fail-500':
          return send(res, record, 500, { error: 'internal error' });
        case 'rate-limited':
          return send(res, record, 429, { error: 'slow down' }, { 'retry-after': String(retryAfterSeconds) });
        case 'timeout':
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        case 'slow': {
          const timer = setTimeout(() => accept(res, record, key), slowMs);
          res.on('close', () => clearTimeout(timer));
          return;
        }
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted,
    get peakInFlight() {
      return peakInFlight;
    },
    setMode(next, opts = {}) {
      mode = next;
      slowMs = opts.slowMs ?? slowMs;
      retryAfterSeconds = opts.retryAfterSeconds ?? retryAfterSeconds;
    },
    failNext(count, status, opts = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, ...(opts.retryAfter === undefined ? {} : { retryAfter: opts.retryAfter }) });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
