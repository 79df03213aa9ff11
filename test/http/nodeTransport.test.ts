import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse, Transport } from '../../src/http/transportTypes.js';
import { httpRequest, rawExchange, startApp, transportsUnderTest, waitFor, type RunningApp } from '../support/transportLab.js';

/**
 * The node transport against uWS's HTTP semantics. Every expectation runs on native uWS as well where it loads
 * (Node 20): what passes there is what uWS does, and the node transport must match it.
 */
describe.each(transportsUnderTest())('HTTP on %s', (_name, transport: Transport) => {
  let server: RunningApp;
  let bare: RunningApp;
  const events: string[] = [];
  let laterRead: Promise<string> = Promise.resolve('');
  /** Chunks as onData gave them: size, last flag, and the byteLength of the kept ArrayBuffer once the callback returned. */
  let chunks: Array<{ bytes: number; isLast: boolean; keptAfter: () => number }> = [];
  let aborted: Promise<string> = Promise.resolve('');

  beforeAll(async () => {
    server = await startApp(transport, (app) => {
      // Registered least specific first: uWS picks by specificity, not by order.
      app.any('/m', (res) => void res.end('any'));
      app.get('/m', (res) => void res.end('get'));
      app.get('/u/:id/x/:y', (res, req) => void res.end(`param ${req.getParameter(0)} ${req.getParameter(1)} [${req.getParameter(2)}]`));
      app.get('/u/static/x/:y', (res, req) => void res.end(`static ${req.getParameter(0)}`));
      app.get('/w/*', (res, req) => void res.end(`wild ${req.getUrl()}`));
      app.get('/q', (res, req) => {
        res.end(JSON.stringify({ url: req.getUrl(), query: req.getQuery() ?? null, method: req.getMethod(), repeated: req.getHeader('x-repeated'), missing: req.getHeader('x-missing') }));
      });
      app.get('/later', (res, req) => {
        res.onAborted(() => undefined);
        laterRead = new Promise((resolve) =>
          setTimeout(() => {
            try {
              resolve(req.getUrl());
            } catch (error) {
              resolve((error as Error).message);
            }
            res.cork(() => res.end('done'));
          }, 5),
        );
      });
      app.get('/status', (res) => void res.writeStatus('418 I am a teapot').writeHeader('X-One', '1').writeHeader('X-One', '2').end('tea'));
      app.get('/empty', (res) => void res.end());
      app.get('/chunked', (res) => {
        res.write('ab');
        res.write(Buffer.from('cd'));
        res.end('ef');
      });
      app.get('/after-end', (res) => {
        res.end('x');
        try {
          res.writeHeader('a', 'b');
          events.push('after-end: no throw');
        } catch (error) {
          events.push(`after-end: ${(error as Error).message}`);
        }
      });
      app.post('/body', (res) => {
        chunks = [];
        res.onAborted(() => undefined);
        res.onData((chunk, isLast) => {
          const kept = chunk;
          chunks.push({ bytes: chunk.byteLength, isLast, keptAfter: () => kept.byteLength });
          if (isLast) res.end(String(chunks.reduce((sum, c) => sum + c.bytes, 0)));
        });
      });
      app.post('/abort', (res) => {
        aborted = new Promise((resolve) => {
          res.onAborted(() => {
            try {
              res.end('too late');
              resolve('end did not throw');
            } catch (error) {
              resolve(`aborted; then ${(error as Error).message}`);
            }
          });
        });
        res.onData(() => undefined);
      });
      app.get('/close', (res) => {
        res.onAborted(() => events.push('close: onAborted'));
        setTimeout(() => {
          res.close();
          events.push('close: returned');
        }, 5);
      });
      app.ws('/ws', {});
      app.any('/*', (res, req) => void res.writeStatus('404 Not Found').end(`fallback ${req.getMethod()} ${req.getUrl()}`));
    });
    bare = await startApp(transport, (app) => app.get('/only', (res) => void res.end('only')));
  });
  afterAll(() => {
    server?.close();
    bare?.close();
  });

  const text = async (path: string, method = 'GET') => (await httpRequest(server.port, path, { method })).body.toString();

  it('routes by specificity, not by order: static before parameter before wildcard, a method before any', async () => {
    expect(await text('/m')).toBe('get');
    expect(await text('/m', 'POST')).toBe('any');
    expect(await text('/u/12/x/34')).toBe('param 12 34 []');
    expect(await text('/u/static/x/9')).toBe('static 9');
    expect(await text('/w/a/b')).toBe('wild /w/a/b');
    // `/w/*` needs a segment after /w; a route for GET does not take a POST.
    expect(await text('/w')).toBe('fallback get /w');
    expect(await text('/q', 'POST')).toBe('fallback post /q');
    // A plain GET to a WebSocket route is no upgrade: the next route answers.
    expect(await text('/ws')).toBe('fallback get /ws');
  });

  it('closes the connection without an answer when no route matches', async () => {
    const { received, closedByServer } = await rawExchange(bare.port, 'GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    expect({ received, closedByServer }).toEqual({ received: '', closedByServer: true });
    expect((await httpRequest(bare.port, '/only')).body.toString()).toBe('only');
  });

  it('reads the request: path without query, the raw query (undefined without ?), lower-case method, first of a repeated header', async () => {
    const read = async (path: string) => JSON.parse((await httpRequest(server.port, path, { headers: { 'X-Repeated': ['a', 'b'] } })).body.toString()) as unknown;
    expect(await read('/q?a=1&b=%20')).toEqual({ url: '/q', query: 'a=1&b=%20', method: 'get', repeated: 'a', missing: '' });
    expect(await read('/q?')).toMatchObject({ url: '/q', query: '' });
    expect(await read('/q')).toMatchObject({ url: '/q', query: null });
  });

  it('forbids reading the request once its handler returned', async () => {
    expect((await httpRequest(server.port, '/later')).body.toString()).toBe('done');
    expect(await laterRead).toMatch(/^uWS.HttpRequest must not be accessed after await or route handler return/);
  });

  it('writes the status line, headers in order (repeats kept) and a Content-Length; write() goes chunked', async () => {
    const teapot = await httpRequest(server.port, '/status');
    expect([teapot.status, teapot.statusText, teapot.headers['x-one'], teapot.headers['content-length'], teapot.body.toString()]).toEqual([
      418,
      'I am a teapot',
      '1, 2',
      '3',
      'tea',
    ]);
    const empty = await httpRequest(server.port, '/empty');
    expect([empty.status, empty.headers['content-length'], empty.body.length]).toEqual([200, '0', 0]);
    const chunked = await httpRequest(server.port, '/chunked');
    expect([chunked.headers['transfer-encoding'], chunked.headers['content-length'], chunked.body.toString()]).toEqual(['chunked', undefined, 'abcdef']);
  });

  it('throws on any use of a response that ended', async () => {
    events.length = 0;
    await httpRequest(server.port, '/after-end');
    expect(events).toEqual([expect.stringMatching(/^after-end: uWS.HttpResponse must not be accessed after/)]);
  });

  it('gives the body in chunks, only the last marked, each ArrayBuffer emptied once its callback returned', async () => {
    const body = Buffer.alloc(300_000, 7);
    expect((await httpRequest(server.port, '/body', { method: 'POST', body })).body.toString()).toBe(String(body.length));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.isLast)).toEqual([...Array<boolean>(chunks.length - 1).fill(false), true]);
    expect(chunks.map((c) => c.keptAfter())).toEqual(chunks.map(() => 0));

    expect((await httpRequest(server.port, '/body', { method: 'POST', body: '' })).body.toString()).toBe('0');
    expect(chunks.map((c) => [c.bytes, c.isLast])).toEqual([[0, true]]);
  });

  it('calls onAborted when the client goes away before the answer; the response is unusable after', async () => {
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST /abort HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    expect(await aborted).toMatch(/^aborted; then uWS.HttpResponse must not be accessed after/);
  });

  it('res.close() cuts the connection and calls the abort handler before it returns', async () => {
    events.length = 0;
    await expect(httpRequest(server.port, '/close')).rejects.toThrow(/socket hang up|ECONNRESET/);
    await waitFor(() => (events.length === 2 ? true : undefined), 'close events');
    expect(events).toEqual(['close: onAborted', 'close: returned']);
  });
});

describe.each(transportsUnderTest())('HTTP back-pressure on %s', (_name, transport: Transport) => {
  const TOTAL_BYTES = 24 * 1024 * 1024;
  const CHUNK_BYTES = 1024 * 1024;
  let server: RunningApp;
  let notOk = 0;
  let offsetsSeen: number[] = [];

  /** Streams TOTAL_BYTES as streamBody.ts does: tryEnd each chunk, and on not ok retry the rest from onWritable. */
  function stream(res: HttpResponse, _req: HttpRequest): void {
    let index = 0;
    res.onAborted(() => undefined);
    const chunkAt = (i: number): ArrayBuffer => new Uint8Array(CHUNK_BYTES).fill(i % 251).buffer;
    const next = (): void => {
      while (index * CHUNK_BYTES < TOTAL_BYTES) {
        const chunk = chunkAt(index);
        const offset = res.getWriteOffset();
        let ok = false;
        let done = false;
        res.cork(() => ([ok, done] = res.tryEnd(chunk, TOTAL_BYTES)));
        if (done) return;
        index++;
        if (ok) continue;
        notOk++;
        res.onWritable((writableAt) => {
          offsetsSeen.push(writableAt - offset);
          let retryOk = false;
          let retryDone = false;
          res.cork(() => ([retryOk, retryDone] = res.tryEnd(chunk.slice(writableAt - offset), TOTAL_BYTES)));
          if (!retryDone && retryOk) setImmediate(next);
          return retryOk || retryDone;
        });
        return;
      }
    };
    next();
  }

  beforeAll(async () => {
    server = await startApp(transport, (app) => app.get('/big', stream));
  });
  afterAll(() => server?.close());

  it('sends a large body through tryEnd and onWritable to a slow reader: every byte once, in order, with its length', async () => {
    notOk = 0;
    offsetsSeen = [];
    const answer = await httpRequest(server.port, '/big', { pauseMs: 300 });
    expect(answer.headers['content-length']).toBe(String(TOTAL_BYTES));
    expect(answer.body.length).toBe(TOTAL_BYTES);
    for (let i = 0; i * CHUNK_BYTES < TOTAL_BYTES; i++) {
      const at = i * CHUNK_BYTES;
      // First and last byte of each chunk: a chunk sent twice or cut short would shift them.
      expect([answer.body[at], answer.body[at + CHUNK_BYTES - 1]], `chunk ${i}`).toEqual([i % 251, i % 251]);
    }
    expect(notOk).toBeGreaterThan(0);
    for (const taken of offsetsSeen) expect(taken).toBeGreaterThanOrEqual(0);
  });
});

describe.each(transportsUnderTest())('listen on %s', (_name, transport: Transport) => {
  it('listens on a free port with port 0, and refuses new connections once the listen socket is closed', async () => {
    const app = await startApp(transport, (a) => a.get('/', (res) => void res.end('up')));
    expect(app.port).toBeGreaterThan(0);
    expect((await httpRequest(app.port, '/')).body.toString()).toBe('up');
    app.close();
    await expect(httpRequest(app.port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
