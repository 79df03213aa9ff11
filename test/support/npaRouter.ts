import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One NPA address for every lab on a shared database, forwarding each lead to the fake NPA of the call it belongs
 * to (by the payload's `external_id`, the CallSid). Needed because every lab's outbox worker claims due rows from
 * the one shared `lead_outbox`: a lead retried by another lab's worker must still meet its own path's fake NPA
 * (its failure mode, its Idempotency-Key record), or a path's outcome would depend on which worker won the claim.
 */
export interface NpaRouter {
  /** Use as NPA_API_URL in every lab. */
  readonly url: string;
  /** Requests whose external_id no call registered (answered 502): should stay empty. */
  readonly strays: string[];
  /** Routes the leads of `callSid` to the fake NPA at `target` (its base URL). */
  register(callSid: string, target: string): void;
  close(): Promise<void>;
}

/** Starts the router on a free port of 127.0.0.1. */
export async function startNpaRouter(): Promise<NpaRouter> {
  const targets = new Map<string, string>();
  const strays: string[] = [];

  const forward = (req: IncomingMessage, body: Buffer, target: URL, res: ServerResponse) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // The server gave up (its submission deadline aborted the request): let the fake see the abort too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let externalId: unknown;
      try {
        externalId = (JSON.parse(body.toString('utf8')) as { external_id?: unknown }).external_id;
      } catch {
        externalId = undefined;
      }
      const target = typeof externalId === 'string' ? targets.get(externalId) : undefined;
      if (target === undefined) {
        strays.push(String(externalId));
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":"no fake NPA registered for this lead"}');
        return;
      }
      forward(req, body, new URL(target), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    strays,
    register(callSid, target) {
      targets.set(callSid, target);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
