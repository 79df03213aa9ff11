import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FailedLeadSchema, LeadOutboxSchema, SucceededLeadSchema } from '../../src/db/entities/index.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Repositories } from '../../src/db/repositories.js';
import { LeadIntake } from '../../src/outbox/leadIntake.js';
import { LeadOutbox } from '../../src/outbox/leadOutbox.js';
import { createRepositories } from '../../src/db/repositories.js';
import { CappedDisk } from '../support/cappedDisk.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { createNpaClient, type NpaClient } from '../../src/npa/npaClient.js';
import { leadProblems, refusalFor } from '../../src/leads/problems.js';
import type { LeadOutcome } from '../../src/leads/leadOutcome.js';
import { retryAllFailedLeads, retryFailedLead } from '../../src/outbox/retryFailedLeads.js';
import type { Channel, ExtractionResult, Lead } from '../../src/leads/lead.js';
import { leadStack, TEST_LEASE_MS } from '../support/leadStack.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const lead: Lead = {
  full_name: 'Luis de la Cruz',
  zip_code: '30093',
  phone: '+14045551234',
  vehicle_year: 2019,
  vehicle_make: 'Harley-Davidson',
  vehicle_model: 'Road King',
};
const complete: ExtractionResult = { lead, complete: true, errors: [], missing: [], reasons: {} };
const incomplete: ExtractionResult = {
  lead: { ...lead, vehicle_year: null, vehicle_make: null },
  complete: false,
  errors: [],
  missing: ['vehicle_year', 'vehicle_make'],
  reasons: {},
};

let t: TestDatabase;
let npa: FakeNpa;
let client: NpaClient;
let deps: { repos: Repositories; outbox: LeadOutbox; intake: LeadIntake; logger: TestDatabase['logger'] };

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  // These cases count attempts across many failing leads: the circuit breaker, which would stop sending after a few
  // (test/npa/circuitBreaker.test.ts), is kept out of the way.
  client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 1_000, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, breakerFailures: 1_000, logger: t.logger });
  // One pass per lead here: a 503 is final at once (test/outbox covers passes and backoff).
  deps = { ...leadStack(t.db, client, t.logger, { maxAttempts: 1 }), logger: t.logger };
});

/** One lead through the intake, the way a channel hands it over. */
async function submitLead(input: {
  sessionKey?: string;
  channel: Channel;
  externalId: string;
  extraction: ExtractionResult;
  failureReason?: string;
}): Promise<LeadOutcome> {
  const refusal = refusalFor(input.extraction, { failure: input.failureReason ?? null });
  return deps.intake.submit({
    id: randomUUID(),
    channel: input.channel,
    externalId: input.externalId,
    lead: input.extraction.lead,
    ...(refusal === undefined ? {} : { refusal }),
    sessionKey: input.sessionKey ?? `key-${randomUUID()}`,
    sessionState: {},
  });
}
const sessionIdOf = async (key: string): Promise<string> => {
  const session = await deps.repos.sessions.getByKey(key);
  if (session === null) throw new Error(`no session ${key}`);
  return session.id;
};
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});
beforeEach(async () => {
  npa.setMode('ok');
  npa.requests.length = 0;
  await t.db.em().nativeDelete(SucceededLeadSchema, {});
  await t.db.em().nativeDelete(FailedLeadSchema, {});
  await t.db.em().nativeDelete(LeadOutboxSchema, {});
});

const counts = async () => ({
  succeeded: await t.db.em().count(SucceededLeadSchema, {}),
  failed: await t.db.em().count(FailedLeadSchema, {}),
});

describe('LeadIntake', () => {
  it('sends a complete lead and writes one succeeded row with the NPA answer, and the session outcome', async () => {
    const sessionId = await deps.repos.sessions.open({ channel: 'voice', sessionKey: 'CA-ok', state: { transcript: [] } });
    const result = await submitLead({ sessionKey: 'CA-ok', channel: 'voice', externalId: 'CA-ok', extraction: complete });
    expect(result.outcome).toBe('succeeded');
    expect(await counts()).toEqual({ succeeded: 1, failed: 0 });
    const row = await deps.repos.succeeded.get(result.leadId);
    expect(row).toMatchObject({ leadData: lead, channel: 'voice', sessionId, npaResponse: { status: 'accepted' } });
    expect(npa.requests[0]?.headers['idempotency-key']).toBe(result.leadId);
    expect((npa.requests[0]?.body as { external_id: string }).external_id).toBe('CA-ok');
    const session = await deps.repos.sessions.get(sessionId);
    expect(session?.state).toMatchObject({ transcript: [], outcome: 'succeeded', leadId: result.leadId, reason: null });
  });

  it('does not send an incomplete lead: one failed row saying what is missing', async () => {
    const result = await submitLead({ sessionKey: 'CA-incomplete', channel: 'voice', externalId: 'CA-incomplete', extraction: incomplete });
    const sessionId = await sessionIdOf('CA-incomplete');
    expect(result).toMatchObject({ outcome: 'failed', reason: 'missing: vehicle_year, vehicle_make' });
    expect(npa.requests).toHaveLength(0);
    expect(await counts()).toEqual({ succeeded: 0, failed: 1 });
    expect(await deps.repos.failed.get(result.leadId)).toMatchObject({ errorMessage: 'missing: vehicle_year, vehicle_make', attempts: 0, lastAttemptAt: null });
    expect((await deps.repos.sessions.get(sessionId))?.state).toMatchObject({ outcome: 'failed', leadId: result.leadId, reason: 'missing: vehicle_year, vehicle_make' });
  });

  it('does not send a lead given a failure reason', async () => {
    const result = await submitLead({ channel: 'sms', externalId: 'x', extraction: complete, failureReason: 'extraction failed: timeout' });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'extraction failed: timeout' });
    expect(npa.requests).toHaveLength(0);
    expect(await counts()).toEqual({ succeeded: 0, failed: 1 });
  });

  it('records an NPA failure as one failed row with the attempts made', async () => {
    npa.setMode('fail-503');
    const result = await submitLead({ sessionKey: 'CA-503', channel: 'voice', externalId: 'CA-503', extraction: complete });
    const sessionId = await sessionIdOf('CA-503');
    expect(result).toMatchObject({ outcome: 'failed', reason: 'NPA API error: 503 Service Unavailable' });
    expect(await counts()).toEqual({ succeeded: 0, failed: 1 });
    const failed = await deps.repos.failed.get(result.leadId);
    expect(failed).toMatchObject({ attempts: 3, errorMessage: 'NPA API error: 503 Service Unavailable', resolvedAt: null, sessionId });
    expect(failed?.lastAttemptAt).toBeInstanceOf(Date);
  });

  it('writes nothing when the lead row fails: the session and the lead share one transaction', async () => {
    // A lead id PostgreSQL refuses (not a uuid): the session opened first in the same transaction is rolled back.
    const submission = { id: 'not-a-uuid', channel: 'voice' as const, externalId: 'x', lead, sessionKey: 'CA-rolled-back', sessionState: {} };
    await expect(deps.intake.accept(submission)).rejects.toThrow();
    await expect(deps.intake.accept({ ...submission, refusal: 'missing: phone' })).rejects.toThrow();
    expect(await deps.repos.sessions.getByKey('CA-rolled-back')).toBeNull();
    expect(await counts()).toEqual({ succeeded: 0, failed: 0 });
  });

  it('accepting a lead id that already has a row returns where it stands and changes nothing', async () => {
    const id = randomUUID();
    const base = { id, channel: 'voice' as const, externalId: 'CA-dup', lead, sessionKey: 'CA-dup', sessionState: {} };
    expect(await deps.intake.accept(base)).toEqual({ status: 'pending', attempts: 0, lastError: null });
    // The same id again, refused this time (a stale rebuild): still pending, no failed row.
    expect(await deps.intake.accept({ ...base, refusal: 'recovered after a server restart; missing: phone' })).toMatchObject({ status: 'pending' });
    expect(await counts()).toEqual({ succeeded: 0, failed: 0 });
    expect(await deps.intake.deliver(id)).toEqual({ outcome: 'succeeded', leadId: id });
    // Delivered: a later accept, complete or refused, reports it succeeded and writes nothing.
    expect(await deps.intake.accept({ ...base, refusal: 'missing: everything' })).toEqual({ status: 'succeeded' });
    expect(await deps.intake.accept(base)).toEqual({ status: 'succeeded' });
    expect(await counts()).toEqual({ succeeded: 1, failed: 0 });
    expect((await deps.repos.sessions.getByKey('CA-dup'))?.state).toMatchObject({ outcome: 'succeeded', leadId: id });
    // A failed lead stays failed with its first reason.
    const refused = { ...base, id: randomUUID(), sessionKey: 'CA-dup-2', refusal: 'missing: phone' };
    expect(await deps.intake.accept(refused)).toEqual({ status: 'failed', reason: 'missing: phone' });
    expect(await deps.intake.accept({ ...refused, refusal: undefined })).toEqual({ status: 'failed', reason: 'missing: phone' });
    expect(await deps.intake.accept({ ...refused, refusal: 'something else' })).toEqual({ status: 'failed', reason: 'missing: phone' });
    expect(await counts()).toEqual({ succeeded: 1, failed: 1 });
    expect(npa.requests).toHaveLength(1);
  });

  it('concurrent accepts of one lead id write one row', async () => {
    const id = randomUUID();
    const base = { id, channel: 'voice' as const, externalId: 'CA-race', lead, sessionKey: 'CA-race', sessionState: {} };
    const states = await Promise.all([
      deps.intake.accept(base),
      deps.intake.accept({ ...base, refusal: 'missing: phone' }),
      deps.intake.accept(base),
      deps.intake.accept({ ...base, refusal: 'missing: zip_code' }),
    ]);
    const statuses = new Set(states.map((s) => s.status));
    expect(statuses.size).toBe(1);
    const outbox = await t.db.em().count(LeadOutboxSchema, { id });
    const failed = await t.db.em().count(FailedLeadSchema, { id });
    expect(outbox + failed).toBe(1);
  });

  it('keeps the lead in the spool when the database cannot take it, and replays it once it can', async () => {
    const down = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'psb-intake-'));
    try {
      const spool = new LeadSpool(dir, t.logger);
      const broken = leadStack(down.db, client, t.logger, { spool });
      await down.close();
      const id = randomUUID();
      const submission = { id, channel: 'voice' as const, externalId: 'CA-spool', lead, sessionKey: 'CA-spool', sessionState: { phase: 'saved-failure' } };
      const outcome = await broken.intake.submit(submission);
      expect(outcome).toMatchObject({ outcome: 'failed', leadId: id, pending: true });
      expect(outcome.reason).toMatch(/^submission pending: database unavailable \(.+\); lead kept in the local spool$/);
      expect(await spool.isEmpty()).toBe(false);
      // The database is back (this file's own): the replay accepts it through the same intake, once.
      expect(await spool.replay((record) => deps.intake.replay(record))).toEqual({ replayed: 1, remaining: 0, dead: 0 });
      expect(await deps.outbox.state(id)).toMatchObject({ status: 'pending' });
      expect((await deps.repos.sessions.getByKey('CA-spool'))?.state).toMatchObject({ phase: 'saved-failure', outcome: 'pending', leadId: id });
      const noSpool = leadStack(down.db, client, t.logger);
      await expect(noSpool.intake.submit({ ...submission, id: randomUUID() })).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('LeadIntake.store: a lead the database refuses for its data', () => {
  it('is a failed lead with the reason (no values in it), its text made storable; nothing is sent', async () => {
    const id = randomUUID();
    // Unstorable text reaching the intake (from a path no edge covers): the outbox row's jsonb refuses it, 22P05.
    const state = await deps.intake.store({
      id,
      channel: 'voice',
      externalId: 'CA-store-nul',
      lead: { ...lead, full_name: 'Luis\u0000 de la Cruz' },
      sessionKey: 'CA-store-nul',
      sessionState: { transcript: [{ role: 'user', text: 'yes\u0000' }] },
    });
    const reason = 'the database refused the lead (database error: DriverException (SQLSTATE 22P05))';
    expect(state).toEqual({ status: 'failed', reason });
    expect(await deps.repos.failed.get(id)).toMatchObject({ errorMessage: reason, leadData: { full_name: 'Luis\ufffd de la Cruz' }, attempts: 0 });
    expect((await deps.repos.sessions.getByKey('CA-store-nul'))?.state).toMatchObject({
      transcript: [{ role: 'user', text: 'yes\ufffd' }],
      outcome: 'failed',
      reason,
    });
    expect(npa.requests).toHaveLength(0);
  });

  it('keeps a refusal the lead already had, and cuts the session state to its phase when the state itself is refused', async () => {
    const em = t.db.em();
    await em.execute(`alter table conversation_sessions add constraint test_refuse_poison check (not (state ? 'poison'))`);
    try {
      const id = randomUUID();
      const state = await deps.intake.store({
        id,
        channel: 'sms',
        externalId: 'sms-poison',
        lead,
        refusal: 'lead is incomplete: missing phone',
        sessionKey: 'sms-poison',
        sessionState: { phase: 'done', poison: true } as never,
      });
      const reason = 'lead is incomplete: missing phone; the database refused the lead (database error: CheckConstraintViolationException (SQLSTATE 23514))';
      expect(state).toEqual({ status: 'failed', reason });
      expect((await deps.repos.sessions.getByKey('sms-poison'))?.state).toEqual({ phase: 'done', leadId: id, outcome: 'failed', reason, externalId: 'sms-poison', submittedAt: expect.any(String) });
    } finally {
      await em.execute(`alter table conversation_sessions drop constraint test_refuse_poison`);
    }
  });

  it('rejects when the database cannot be reached, so the caller spools the lead', async () => {
    const down = await createTestDatabase();
    const broken = leadStack(down.db, client, t.logger);
    await down.close();
    await expect(broken.intake.store({ id: randomUUID(), channel: 'voice', externalId: 'x', lead, sessionKey: 'CA-down', sessionState: {} })).rejects.toThrow();
  });
});

describe('LeadIntake: neither the database nor the spool can take the lead', () => {
  it('holds it in memory (bounded), says so, and stores it once the database is back', async () => {
    const down = await createTestDatabase();
    // A spool that cannot be written: its directory is under a plain file.
    const dir = await mkdtemp(join(tmpdir(), 'psb-held-'));
    await writeFile(join(dir, 'file'), '');
    try {
      const spool = new LeadSpool(join(dir, 'file', 'data'), t.logger);
      const repos = createRepositories(down.db);
      const outbox = new LeadOutbox({ repos, npa: client, logger: t.logger }, { leaseMs: TEST_LEASE_MS });
      const intake = new LeadIntake({ repos, outbox, spool, logger: t.logger, memoryQueueMax: 1 });
      await down.close();
      expect(await spool.ensureReserve()).toBe(false);
      const submission = (key: string) => ({ id: randomUUID(), channel: 'voice' as const, externalId: key, lead, sessionKey: key, sessionState: {} });
      const first = submission('CA-held-1');
      const outcome = await intake.submit(first);
      expect(outcome).toMatchObject({ outcome: 'failed', leadId: first.id, pending: true });
      expect(outcome.reason).toMatch(/^submission pending: database unavailable \(.+\), spool not written \(.+\); lead held in memory until one of them can take it$/);
      expect(intake.heldCount).toBe(1);
      expect(intake.canKeepLeads()).toBe(false);
      // No room for a second one: it is refused, loudly (a call would count it lost).
      await expect(intake.submit(submission('CA-held-2'))).rejects.toThrow(/memory queue full$/);
      expect(await intake.retryHeld()).toEqual({ stored: 0, spooled: 0, left: [first] });

      // The same lead road on a database that answers (this file's own): the held lead goes in.
      const up = new LeadIntake({ repos: deps.repos, outbox: deps.outbox, spool, logger: t.logger, memoryQueueMax: 1 });
      expect(up.canKeepLeads()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retryHeld stores held leads in the database, or else in the spool', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'psb-held-'));
    try {
      const disk = new CappedDisk(dir);
      const spool = new LeadSpool(dir, t.logger, { writer: disk, reserveBytes: 4096 });
      await spool.ensureReserve();
      const down = await createTestDatabase();
      const repos = createRepositories(down.db);
      const intake = new LeadIntake({ repos, outbox: new LeadOutbox({ repos, npa: client, logger: t.logger }, { leaseMs: TEST_LEASE_MS }), spool, logger: t.logger, memoryQueueMax: 5 });
      await down.close();
      await disk.fill();
      const big = { id: randomUUID(), channel: 'voice' as const, externalId: 'CA-big', lead, sessionKey: 'CA-big', sessionState: { transcript: [{ role: 'user' as const, text: 'x'.repeat(10_000) }] } };
      expect((await intake.submit(big)).reason).toMatch(/lead held in memory/);
      disk.free();
      expect(await intake.retryHeld()).toEqual({ stored: 0, spooled: 1, left: [] });
      expect(intake.heldCount).toBe(0);
      expect((await spool.list()).map((e) => e.id)).toEqual([big.id]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('retryFailedLead', () => {
  it('resubmits with the same key; success resolves the failed row and writes one succeeded row', async () => {
    npa.setMode('fail-503');
    const { leadId } = await submitLead({ sessionKey: 'CA-retry', channel: 'voice', externalId: 'CA-retry-ext', extraction: complete });
    const sessionId = await sessionIdOf('CA-retry');

    expect(await retryFailedLead(deps, leadId)).toMatchObject({ outcome: 'failed', reason: 'NPA API error: 503 Service Unavailable' });
    expect((await deps.repos.failed.get(leadId))?.attempts).toBe(6);

    npa.setMode('ok');
    expect(await retryFailedLead(deps, leadId)).toEqual({ id: leadId, outcome: 'succeeded' });
    const failed = await deps.repos.failed.get(leadId);
    expect(failed?.resolvedAt).toBeInstanceOf(Date);
    expect(failed?.attempts).toBe(7);
    expect(await deps.repos.succeeded.get(leadId)).toMatchObject({ sessionId, npaResponse: { status: 'accepted' } });
    expect(await counts()).toEqual({ succeeded: 1, failed: 1 });
    expect(new Set(npa.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([leadId]));
    expect(new Set(npa.requests.map((r) => (r.body as { external_id: string }).external_id))).toEqual(new Set(['CA-retry-ext']));
    expect((await deps.repos.sessions.get(sessionId))?.state).toMatchObject({ outcome: 'succeeded', leadId });

    expect((await retryFailedLead(deps, leadId)).outcome).toBe('already-resolved');
    expect(await counts()).toEqual({ succeeded: 1, failed: 1 });
  });

  it('refuses an incomplete lead unless forced', async () => {
    const { leadId } = await submitLead({ channel: 'sms', externalId: 'x', extraction: incomplete });
    expect(await retryFailedLead(deps, leadId)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^lead is incomplete: missing vehicle_year, vehicle_make/) });
    expect(npa.requests).toHaveLength(0);
    expect((await retryFailedLead(deps, leadId, { force: true })).outcome).toBe('succeeded');
    expect(npa.requests).toHaveLength(1);
  });

  it('reports an unknown id and retries all unresolved leads', async () => {
    expect((await retryFailedLead(deps, '00000000-0000-4000-8000-000000000000')).outcome).toBe('not-found');
    npa.setMode('fail-500');
    const a = await submitLead({ channel: 'voice', externalId: 'a', extraction: complete });
    const b = await submitLead({ channel: 'voice', externalId: 'b', extraction: complete });
    const c = await submitLead({ channel: 'voice', externalId: 'c', extraction: incomplete });
    npa.setMode('ok');
    const outcomes = await retryAllFailedLeads(deps);
    expect(outcomes.map((o) => [o.id, o.outcome]).sort()).toEqual(
      [[a.leadId, 'succeeded'], [b.leadId, 'succeeded'], [c.leadId, 'refused']].sort(),
    );
    expect(await counts()).toEqual({ succeeded: 2, failed: 3 });
    expect((await deps.repos.failed.list()).map((f) => f.id)).toEqual([c.leadId]);
  });
});

describe('leadProblems', () => {
  it('names missing fields and an Alaska ZIP, and nothing for a good lead', () => {
    expect(leadProblems(lead)).toBeUndefined();
    expect(leadProblems({ ...lead, phone: null, vehicle_model: null })).toBe('missing phone, vehicle_model');
    expect(leadProblems({ ...lead, zip_code: '99501' })).toMatch(/^invalid zip_code \(.*Alaska/);
  });
});
