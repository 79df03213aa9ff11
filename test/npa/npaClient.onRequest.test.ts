import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createNpaClient, type NpaClientOptions, type NpaRequestResult } from '../../src/npa/npaClient.js';
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
const logger = createLogger('silent');

/** The `onRequest` hook: one call per HTTP request, with how long it took and how it ended. */
describe('createNpaClient onRequest', () => {
  let npa: FakeNpa;
  beforeAll(async () => {
    npa = await startFakeNpa({ username: 'psb', password: 's3cret' });
  });
  afterAll(async () => {
    await npa.close();
  });

  const recorded = (overrides: Partial<NpaClientOptions> = {}) => {
    const seen: Array<{ ms: number; result: NpaRequestResult }> = [];
    const client = createNpaClient({
      url: npa.url,
      username: 'psb',
      password: 's3cret',
      timeoutMs: 2_000,
      maxAttempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 2,
      logger,
      onRequest: (ms, result) => seen.push({ ms, result }),
      ...overrides,
    });
    return { client, seen };
  };

  it('reports each attempt with its status', async () => {
    npa.setMode('ok');
    npa.failNext(1, 503);
    const { client, seen } = recorded();
    await client.submit(lead, submitOptions);
    expect(seen.map((s) => s.result)).toEqual([503, 201]);
    for (const { ms } of seen) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('reports a timeout and a network error as such', async () => {
    npa.setMode('timeout');
    const timedOut = recorded({ timeoutMs: 50, maxTimeoutMs: 50, maxAttempts: 1 });
    await expect(timedOut.client.submit(lead, submitOptions)).rejects.toThrow(/timeout/);
    expect(timedOut.seen.map((s) => s.result)).toEqual(['timeout']);
    expect(timedOut.seen[0]?.ms).toBeGreaterThanOrEqual(40);

    const unreachable = recorded({ url: 'http://127.0.0.1:1', maxAttempts: 1 });
    await expect(unreachable.client.submit(lead, submitOptions)).rejects.toThrow(/network error/);
    expect(unreachable.seen.map((s) => s.result)).toEqual(['network']);
    npa.setMode('ok');
  });

  it('a hook that throws does not fail the submission', async () => {
    npa.setMode('ok');
    const client = createNpaClient({
      url: npa.url,
      username: 'psb',
      password: 's3cret',
      logger,
      onRequest: () => {
        throw new Error('metrics broke');
      },
    });
    await expect(client.submit(lead, submitOptions)).resolves.toMatchObject({ status: 201 });
  });
});
