import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Lead } from '../../src/leads/lead.js';
import { createRepositories } from '../../src/db/repositories.js';
import { createNpaClient, type NpaClientOptions } from '../../src/npa/npaClient.js';
import { LeadOutbox, type OutboxDeps, type OutboxOptions } from '../../src/outbox/leadOutbox.js';
import { TEST_LEASE_MS } from '../support/leadStack.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const lead: Lead = {
  full_name: 'Pat Example',
  zip_code: '30093',
  phone: '+14045551234',
  vehicle_year: 2019,
  vehicle_make: 'Honda',
  vehicle_model: 'Rancher',
};

let t: TestDatabase;
let npa: FakeNpa;
let deps: OutboxDeps;

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  deps = {
    repos: createRepositories(t.db),
    npa: createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 1_000, maxAttempts: 1, logger: t.logger }),
    logger: t.logger,
  };
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});
beforeEach(async () => {
  npa.setMode('ok');
  npa.requests.length = 0;
  await t.db.em().execute('delete from lead_outbox; delete from succeeded_leads; delete from failed_leads');
});

const outboxWith = (options: Partial<OutboxOptions> = {}, npaOptions: Partial<NpaClientOptions> = {}): LeadOutbox =>
  new LeadOutbox(
    Object.keys(npaOptions).length === 0
      ? deps
      : { ...deps, npa: createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 1_000, maxAttempts: 1, logger: t.logger, ...npaOptions }) },
    { leaseMs: TEST_LEASE_MS, ...options },
  );
const sent = (id: string) => npa.requests.filter((r) => r.headers['idempotency-key'] === id).length;
const accept = (outbox: LeadOutbox, id = randomUUID()) =>
  outbox.accept({ id, lead, channel: 'voice', sessionId: null, externalId: `ext-${id}` }).then(() => id);

describe('LeadOutbox', () => {
  it('two workers claiming at once never get the same row (SKIP LOCKED), and together get them all', async () => {
    const a = outboxWith({ instanceId: 'a' });
    const b = outboxWith({ instanceId: 'b' });
    const ids = await Promise.all(Array.from({ length: 12 }, () => accept(a)));
    const [fromA, fromB] = await Promise.all([a.claimDue(8), b.claimDue(8)]);
    const claimed = [...fromA, ...fromB].map((r) => r.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    // A claimed row is leased: nobody claims it again until the lease runs out.
    const rest = await a.claimDue(20);
    expect(new Set([...claimed, ...rest.map((r) => r.id)])).toEqual(new Set(ids));
    expect(await b.claimDue(20)).toEqual([]);
  });

  it('accepting a lead twice keeps one row; a refused lead goes to failed_leads and is never sent', async () => {
    const outbox = outboxWith();
    const id = await accept(outbox);
    expect(await outbox.accept({ id, lead: { ...lead, full_name: 'Someone Else' }, channel: 'voice', sessionId: null, externalId: 'x' })).toMatchObject({ status: 'pending' });
    const rows = await t.db.em().execute<{ lead_data: Lead }[]>('select lead_data from lead_outbox');
    expect(rows.map((r) => r.lead_data.full_name)).toEqual(['Pat Example']);

    const refused = randomUUID();
    expect(await outbox.accept({ id: refused, lead, channel: 'voice', sessionId: null, externalId: 'y', refusal: 'missing: phone' })).toEqual({ status: 'failed', reason: 'missing: phone' });
    expect(await outbox.state(refused)).toEqual({ status: 'failed', reason: 'missing: phone' });
    expect((await t.db.em().execute<{ n: string }[]>('select count(*) as n from lead_outbox where id = ?', [refused]))[0]?.n).toBe('0');
  });

  it('retries a retryable failure across passes with backoff, then records a failed lead with the reason', async () => {
    npa.setMode('fail-503');
    const outbox = outboxWith({ maxAttempts: 2, retryBaseMs: 300 });
    const id = await accept(outbox);
    expect(await outbox.process(id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'NPA API error: 503 Service Unavailable' });
    // Not due yet: the backoff holds it back from the worker.
    expect(await outbox.claimDue(10)).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    const [row] = await outbox.claimDue(10);
    expect(row?.id).toBe(id);
    expect(await outbox.run(row!)).toEqual({ status: 'failed', reason: 'NPA API error: 503 Service Unavailable' });
    const failed = await deps.repos.failed.get(id);
    expect(failed).toMatchObject({ errorMessage: 'NPA API error: 503 Service Unavailable', attempts: 2 });
    expect(npa.requests.filter((r) => r.headers['idempotency-key'] === id)).toHaveLength(2);
  });

  it('a final (non-retryable) failure is not retried; success after a retry writes one succeeded row', async () => {
    npa.setMode('unauthorized');
    const outbox = outboxWith({ maxAttempts: 5 });
    const id = await accept(outbox);
    expect(await outbox.process(id)).toEqual({ status: 'failed', reason: 'NPA API error: 401 Unauthorized' });

    npa.setMode('fail-503');
    const other = await accept(outbox);
    expect((await outbox.process(other)).status).toBe('pending');
    npa.setMode('ok');
    expect(await outbox.process(other)).toEqual({ status: 'succeeded' });
    expect(await outbox.process(other)).toEqual({ status: 'succeeded' });
    expect(npa.accepted.has(other)).toBe(true);
    expect((await t.db.em().execute<{ n: string }[]>('select count(*) as n from succeeded_leads where id = ?', [other]))[0]?.n).toBe('1');
  });

  it('runs at most maxInFlight passes at once: the worker claims only rows it can send now', async () => {
    npa.setMode('slow', { slowMs: 300 });
    const outbox = outboxWith({ maxInFlight: 2 });
    const ids = await Promise.all(Array.from({ length: 5 }, () => accept(outbox)));
    const passes = await outbox.sendDue(10);
    expect(passes).toHaveLength(2);
    expect(outbox.capacity()).toBe(0);
    expect(await outbox.sendDue(10)).toEqual([]);
    // The rows it could not send stay unclaimed, for another instance.
    const other = outboxWith({ instanceId: 'other' });
    expect(await other.claimDue(10)).toHaveLength(3);
    await Promise.all(passes);
    expect(outbox.capacity()).toBe(2);
    expect(npa.peakInFlight).toBeLessThanOrEqual(2);
    expect(ids.filter((id) => npa.accepted.has(id))).toHaveLength(2);
  });

  it('while the circuit is open sends nothing and counts no pass; once it closes, backed-off leads are due at once', async () => {
    npa.setMode('fail-503');
    // A circuit that opens on the first failure and probes after 300 ms; passes back off a minute.
    const outbox = outboxWith({ maxAttempts: 5, retryBaseMs: 60_000 }, { breakerFailures: 1, breakerCooldownMs: 300 });
    const backedOff = await accept(outbox);
    expect(await outbox.process(backedOff)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'NPA API error: 503 Service Unavailable' });
    expect(outbox.capacity()).toBe(0);

    // A new lead while it is open: not sent, nothing claimed, its budget untouched.
    npa.setMode('ok');
    const fresh = await accept(outbox);
    expect(await outbox.process(fresh)).toMatchObject({ status: 'pending', attempts: 0, lastError: expect.stringMatching(/circuit open/) });
    expect(await outbox.sendDue(10)).toEqual([]);
    expect(sent(fresh)).toBe(0);

    let recovered = 0;
    outbox.onApiRecovered(() => recovered++);
    await new Promise((r) => setTimeout(r, 350));
    // The wait is over: one probe (the lead that is due), whose answer closes the circuit...
    expect(outbox.capacity()).toBe(1);
    const probe = await outbox.sendDue(10);
    expect(probe).toHaveLength(1);
    await Promise.all(probe);
    expect(await outbox.state(fresh)).toEqual({ status: 'succeeded' });
    // ...and the lead backing off for a minute is due now, not in a minute.
    await vi.waitFor(() => expect(recovered).toBe(1));
    await Promise.all(await outbox.sendDue(10));
    expect(await outbox.state(backedOff)).toEqual({ status: 'succeeded' });
    expect([sent(backedOff), sent(fresh)]).toEqual([2, 1]);
  });

  it('a caller that stops waiting does not stop the request: the pass goes on and records its outcome', async () => {
    npa.setMode('slow', { slowMs: 400 });
    const outbox = outboxWith();
    const id = await accept(outbox);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await outbox.process(id, controller.signal)).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/has not answered yet/) });
    await outbox.settle();
    expect(await outbox.state(id)).toEqual({ status: 'succeeded' });
    expect(sent(id)).toBe(1);
  });

  it('a claim of a dead instance is free however long its lease; a restart frees its own previous claims at once', async () => {
    await deps.repos.instances.register('crashed');
    const crashed = outboxWith({ instanceId: 'crashed', leaseMs: 600_000 });
    const other = outboxWith({ instanceId: 'other', deadInstanceMs: 15_000 });
    const id = await accept(crashed);
    expect(await crashed.claimOne(id)).not.toBeNull();
    // Its heartbeat is fresh: the lease holds.
    expect(await other.claimOne(id)).toBeNull();
    await t.db.em().execute(`update instances set heartbeat_at = now() - interval '20 seconds' where id = 'crashed'`);
    expect(await other.claimOne(id)).toMatchObject({ id, attempts: 2, locked_by: expect.stringMatching(/^other:/) });

    // The same id after a restart: what it held before is free now, not when the lease runs out.
    await deps.repos.instances.register('restarted');
    const before = outboxWith({ instanceId: 'restarted', leaseMs: 600_000 });
    const held = await accept(before);
    expect(await before.claimOne(held)).not.toBeNull();
    const after = outboxWith({ instanceId: 'restarted' });
    expect(await after.releaseOwnClaims()).toBe(1);
    expect(await other.claimOne(held)).toMatchObject({ id: held });
  });

  it('a pass renews its short lease while the request runs: nobody else claims the row meanwhile', async () => {
    npa.setMode('slow', { slowMs: 2_000 });
    const outbox = outboxWith({ instanceId: 'renewing', leaseMs: 500 }, { timeoutMs: 10_000 });
    const other = outboxWith({ instanceId: 'other' });
    const id = await accept(outbox);
    const pass = outbox.process(id);
    // Three leases later the pass still holds it.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await other.claimOne(id)).toBeNull();
    expect(await pass).toEqual({ status: 'succeeded' });
    expect(sent(id)).toBe(1);
  });
});
