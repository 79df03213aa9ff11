import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { NpaApiError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { createNpaClient, NpaCircuitOpenError, NpaSubmitError, parseRetryAfter, type NpaClientOptions } from '../../src/npa/npaClient.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Lead } from '../../src/leads/lead.js';

const lead: Lead = {
  full_name: 'Luis de la Cruz',
  zip_code: '30093',
  phone: '+14045551234',
  vehicle_year: 2019,
  vehicle_make: 'Harley-Davidson',
  vehicle_model: 'Road King',
};
const submitOptions = { channel: 'voice' as const, externalId: 'CA123', idempotencyKey: '6f1c7a52-0d3b-4b8e-9d0a-3f5b2c1e9a11' };

let npa: FakeNpa;
const logger = createLogger('silent');
const client = (overrides: Partial<NpaClientOptions> = {}) =>
  createNpaClient({ url: npa.url, username: 'psb', password: 's3cret', timeoutMs: 2_000, maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, logger, ...overrides });

beforeAll(async () => {
  npa = await startFakeNpa({ username: 'psb', password: 's3cret' });
});
afterAll(async () => {
  await npa.close();
});
beforeEach(() => {
  npa.requests.length = 0;
  npa.accepted.clear();
  npa.setMode('ok');
});

describe('createNpaClient', () => {
  it('posts the payload with Basic auth and the Idempotency-Key, and returns the JSON body', async () => {
    const result = await client().submit(lead, submitOptions);
    expect(result.status).toBe(201);
    expect(result.attempts).toBe(1);
    expect(result.body).toEqual({ id: expect.any(String), status: 'accepted' });
    expect(npa.requests).toHaveLength(1);
    const request = npa.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/leads');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('psb:s3cret').toString('base64')}`);
    expect(request.headers['idempotency-key']).toBe(submitOptions.idempotencyKey);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      first_name: 'Luis',
      last_name: 'de la Cruz',
      full_name: 'Luis de la Cruz',
      zip_code: '30093',
      phone: '+14045551234',
      vehicle_year: 2019,
      vehicle_make: 'Harley-Davidson',
      vehicle_model: 'Road King',
      channel: 'voice',
      external_id: 'CA123',
    });
  });

  it('is idempotent at the fake NPA: the same key gets the same answer and one record', async () => {
    const first = await client().submit(lead, submitOptions);
    const second = await client().submit(lead, submitOptions);
    expect(second.body).toEqual(first.body);
    expect(npa.accepted.size).toBe(1);
    const other = await client().submit(lead, { ...submitOptions, idempotencyKey: 'another-key' });
    expect(other.body['id']).not.toBe(first.body['id']);
    expect(npa.accepted.size).toBe(2);
  });

  it('does not retry a 401 and says so plainly', async () => {
    const error = await client({ password: 'wrong' }).submit(lead, submitOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NpaApiError);
    expect((error as NpaSubmitError).message).toBe('NPA API error: 401 Unauthorized');
    expect((error as NpaSubmitError).status).toBe(401);
    expect((error as NpaSubmitError).attempts).toBe(1);
    expect(npa.requests).toHaveLength(1);
  });

  it('retries a 503 with the same Idempotency-Key and succeeds', async () => {
    npa.failNext(2, 503);
    const result = await client().submit(lead, submitOptions);
    expect(result.attempts).toBe(3);
    expect(npa.requests.map((r) => r.status)).toEqual([503, 503, 201]);
    expect(new Set(npa.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([submitOptions.idempotencyKey]));
    expect(npa.accepted.size).toBe(1);
  });

  it('retries 429 honouring Retry-After (capped)', async () => {
    npa.failNext(1, 429, { retryAfter: '1' });
    const slept: number[] = [];
    const result = await client({ maxRetryAfterMs: 50, sleep: async (ms) => void slept.push(ms) }).submit(lead, submitOptions);
    expect(result.attempts).toBe(2);
    expect(slept).toEqual([50]);
  });

  it('retries 408 and 500 but not 400', async () => {
    npa.failNext(1, 408);
    npa.failNext(1, 500);
    expect((await client().submit(lead, submitOptions)).attempts).toBe(3);
    npa.requests.length = 0;
    npa.failNext(1, 400);
    const error = await client().submit(lead, submitOptions).catch((e: unknown) => e);
    expect((error as Error).message).toBe('NPA API error: 400 Bad Request');
    expect(npa.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    npa.setMode('fail-503');
    const error = await client({ maxAttempts: 3 }).submit(lead, submitOptions).catch((e: unknown) => e);
    expect((error as NpaSubmitError).message).toBe('NPA API error: 503 Service Unavailable');
    expect((error as NpaSubmitError).attempts).toBe(3);
    expect((error as NpaSubmitError).retryable).toBe(true);
    expect(npa.requests).toHaveLength(3);
  });

  it('times out each attempt and retries, each attempt waiting 3x longer up to the longest timeout', async () => {
    npa.setMode('timeout');
    const retries: number[] = [];
    const logs = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const entry = JSON.parse(chunk.toString()) as { msg?: string; timeoutMs?: number };
        if (entry.msg === 'NPA submission attempt failed; retrying' && entry.timeoutMs !== undefined) retries.push(entry.timeoutMs);
        done();
      },
    });
    const error = await client({ timeoutMs: 50, maxTimeoutMs: 200, maxAttempts: 3, logger: createLogger('info', logs) })
      .submit(lead, submitOptions)
      .catch((e: unknown) => e);
    // 50 ms, 150 ms, then 200 ms (450 capped).
    expect(retries).toEqual([50, 150]);
    expect((error as Error).message).toBe('NPA API error: timeout after 200 ms');
    expect(npa.requests).toHaveLength(3);
  });

  it("goes on with a lead's timeouts where its earlier passes left off", async () => {
    npa.setMode('timeout');
    const error = await client({ timeoutMs: 50, maxTimeoutMs: 1_000, maxAttempts: 1 })
      .submit(lead, { ...submitOptions, previousAttempts: 2 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('NPA API error: timeout after 450 ms');
  });

  it('never waits less than twice what the API last took to answer', async () => {
    const npaClient = client({ timeoutMs: 50, maxTimeoutMs: 2_000, maxAttempts: 1 });
    npa.setMode('slow', { slowMs: 300 });
    // A lead on its fourth attempt (1350 ms) is answered after 300 ms or more...
    await npaClient.submit(lead, { ...submitOptions, previousAttempts: 3 });
    // ...so a fresh lead's first attempt waits 600 ms or more, not 50 ms, and the next 300 ms answer arrives in time.
    expect((await npaClient.submit(lead, { ...submitOptions, idempotencyKey: 'fresh-lead' })).attempts).toBe(1);
  });

  it('reports a refused connection as a network error', async () => {
    const port = await freePort();
    const error = await client({ url: `http://127.0.0.1:${port}`, maxAttempts: 2 }).submit(lead, submitOptions).catch((e: unknown) => e);
    expect((error as Error).message).toBe('NPA API error: network error (ECONNREFUSED)');
    expect((error as NpaSubmitError).attempts).toBe(2);
  });

  it('stops retrying when the caller aborts', async () => {
    npa.setMode('fail-503');
    const controller = new AbortController();
    const pending = client({ baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1 }).submit(lead, { ...submitOptions, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect((error as Error).message).toBe('NPA API error: submission aborted');
    expect(npa.requests).toHaveLength(1);
  });

  it('refuses clearly when no URL is configured', async () => {
    const error = await client({ url: undefined }).submit(lead, submitOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NpaApiError);
    expect((error as Error).message).toMatch(/^NPA API not configured/);
  });

  it('stops sending once requests keep failing, probes after the wait with the longest timeout, and closes on its answer', async () => {
    let now = 1_000_000;
    const npaClient = client({ maxAttempts: 1, breakerFailures: 2, breakerCooldownMs: 5_000, now: () => now });
    let closed = 0;
    npaClient.circuit.onClosed(() => closed++);
    npa.setMode('fail-503');
    for (const key of ['a', 'b']) await npaClient.submit(lead, { ...submitOptions, idempotencyKey: key }).catch(() => undefined);
    expect(npaClient.circuit.state).toMatchObject({ kind: 'open', retryAt: 1_005_000 });
    expect(npaClient.circuit.permits()).toBe(0);

    // Open: nothing reaches the API, and the caller learns when to ask again.
    npa.setMode('ok');
    const refused = await npaClient.submit(lead, { ...submitOptions, idempotencyKey: 'c' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NpaCircuitOpenError);
    expect(refused).toMatchObject({ attempts: 0, retryable: true, retryAt: 1_005_000 });
    expect(npa.requests).toHaveLength(2);

    // After the wait: one probe; its answer closes the circuit.
    now += 5_000;
    expect(npaClient.circuit.permits()).toBe(1);
    expect((await npaClient.submit(lead, { ...submitOptions, idempotencyKey: 'c' })).status).toBe(201);
    expect(npaClient.circuit.state).toEqual({ kind: 'closed', failures: 0 });
    expect(closed).toBe(1);
    expect(npa.requests).toHaveLength(3);
  });

  it('ends a pass with the API’s last error when the circuit opens between its attempts', async () => {
    npa.setMode('fail-503');
    const error = await client({ maxAttempts: 4, breakerFailures: 2 }).submit(lead, submitOptions).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(NpaCircuitOpenError);
    expect(error).toMatchObject({ message: 'NPA API error: 503 Service Unavailable', attempts: 2 });
    expect(npa.requests).toHaveLength(2);
  });

  it('a 4xx answer is an answer: it does not count toward opening the circuit', async () => {
    const npaClient = client({ password: 'wrong', maxAttempts: 1, breakerFailures: 1 });
    await npaClient.submit(lead, submitOptions).catch(() => undefined);
    expect(npaClient.circuit.state).toEqual({ kind: 'closed', failures: 0 });
  });

  it('returns {} for an empty 2xx body', async () => {
    const fetchEmpty: typeof fetch = async () => new Response(null, { status: 204 });
    expect((await client({ fetch: fetchEmpty }).submit(lead, submitOptions)).body).toEqual({});
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
