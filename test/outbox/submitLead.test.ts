import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FailedLeadSchema, SucceededLeadSchema } from '../../src/db/entities/index.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import { LeadStore } from '../../src/db/leadStore.js';
import { LeadOutbox } from '../../src/outbox/leadOutbox.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { leadProblems, submitLead, type LeadPipelineDeps } from '../../src/outbox/submitLead.js';
import { retryAllFailedLeads, retryFailedLead } from '../../src/outbox/retryFailedLeads.js';
import type { ExtractionResult, Lead } from '../../src/leads/lead.js';
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
let deps: LeadPipelineDeps;

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  deps = {
    db: t.db,
    store: new LeadStore(t.db),
    npa: createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 1_000, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, logger: t.logger }),
    logger: t.logger,
  };
  // One pass per lead here, as before the outbox: a 503 is final at once (test/outbox covers passes and backoff).
  deps.outbox = new LeadOutbox(deps, { maxAttempts: 1 });
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});
beforeEach(async () => {
  npa.setMode('ok');
  npa.requests.length = 0;
  await t.db.em().nativeDelete(SucceededLeadSchema, {});
  await t.db.em().nativeDelete(FailedLeadSchema, {});
});

const counts = async () => ({
  succeeded: await t.db.em().count(SucceededLeadSchema, {}),
  failed: await t.db.em().count(FailedLeadSchema, {}),
});

describe('submitLead', () => {
  it('sends a complete lead and writes one succeeded row with the NPA answer, and the session outcome', async () => {
    const sessionId = await deps.store.openSession({ channel: 'voice', sessionKey: 'CA-ok', state: { transcript: [] } });
    const result = await submitLead(deps, { sessionId, channel: 'voice', externalId: 'CA-ok', extraction: complete });
    expect(result.outcome).toBe('succeeded');
    expect(await counts()).toEqual({ succeeded: 1, failed: 0 });
    const row = await deps.store.getSucceeded(result.leadId);
    expect(row).toMatchObject({ leadData: lead, channel: 'voice', sessionId, npaResponse: { status: 'accepted' } });
    expect(npa.requests[0]?.headers['idempotency-key']).toBe(result.leadId);
    expect((npa.requests[0]?.body as { external_id: string }).external_id).toBe('CA-ok');
    const session = await deps.store.getSession(sessionId);
    expect(session?.state).toMatchObject({ transcript: [], outcome: 'succeeded', leadId: result.leadId, reason: null });
  });

  it('does not send an incomplete lead: one failed row saying what is missing', async () => {
    const sessionId = await deps.store.openSession({ channel: 'voice', sessionKey: 'CA-incomplete', state: {} });
    const result = await submitLead(deps, { sessionId, channel: 'voice', externalId: 'CA-incomplete', extraction: incomplete });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'missing: vehicle_year, vehicle_make' });
    expect(npa.requests).toHaveLength(0);
    expect(await counts()).toEqual({ succeeded: 0, failed: 1 });
    expect(await deps.store.getFailed(result.leadId)).toMatchObject({ errorMessage: 'missing: vehicle_year, vehicle_make', attempts: 0, lastAttemptAt: null });
    expect((await deps.store.getSession(sessionId))?.state).toMatchObject({ outcome: 'failed', leadId: result.leadId, reason: 'missing: vehicle_year, vehicle_make' });
  });

  it('does not send a lead given a failure reason', async () => {
    const result = await submitLead(deps, { sessionId: null, channel: 'sms', externalId: 'x', extraction: complete, failureReason: 'extraction failed: timeout' });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'extraction failed: timeout' });
    expect(npa.requests).toHaveLength(0);
    expect(await counts()).toEqual({ succeeded: 0, failed: 1 });
  });

  it('records an NPA failure as one failed row with the attempts made', async () => {
    npa.setMode('fail-503');
    const sessionId = await deps.store.openSession({ channel: 'voice', sessionKey: 'CA-503', state: {} });
    const result = await submitLead(deps, { sessionId, channel: 'voice', externalId: 'CA-503', extraction: complete });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'NPA API error: 503 Service Unavailable' });
    expect(await counts()).toEqual({ succeeded: 0, failed: 1 });
    const failed = await deps.store.getFailed(result.leadId);
    expect(failed).toMatchObject({ attempts: 3, errorMessage: 'NPA API error: 503 Service Unavailable', resolvedAt: null, sessionId });
    expect(failed?.lastAttemptAt).toBeInstanceOf(Date);
  });

  it('writes nothing when the session update fails: row and state share one transaction', async () => {
    const missingSession = '00000000-0000-4000-8000-000000000000';
    await expect(submitLead(deps, { sessionId: missingSession, channel: 'voice', externalId: 'x', extraction: incomplete })).rejects.toThrow(/not found|foreign key/);
    await expect(submitLead(deps, { sessionId: missingSession, channel: 'voice', externalId: 'x', extraction: complete })).rejects.toThrow(/not found|foreign key/);
    expect(await counts()).toEqual({ succeeded: 0, failed: 0 });
  });
});

describe('retryFailedLead', () => {
  it('resubmits with the same key; success resolves the failed row and writes one succeeded row', async () => {
    npa.setMode('fail-503');
    const sessionId = await deps.store.openSession({ channel: 'voice', sessionKey: 'CA-retry', state: {} });
    const { leadId } = await submitLead(deps, { sessionId, channel: 'voice', externalId: 'CA-retry-ext', extraction: complete });

    expect(await retryFailedLead(deps, leadId)).toMatchObject({ outcome: 'failed', reason: 'NPA API error: 503 Service Unavailable' });
    expect((await deps.store.getFailed(leadId))?.attempts).toBe(6);

    npa.setMode('ok');
    expect(await retryFailedLead(deps, leadId)).toEqual({ id: leadId, outcome: 'succeeded' });
    const failed = await deps.store.getFailed(leadId);
    expect(failed?.resolvedAt).toBeInstanceOf(Date);
    expect(failed?.attempts).toBe(7);
    expect(await deps.store.getSucceeded(leadId)).toMatchObject({ sessionId, npaResponse: { status: 'accepted' } });
    expect(await counts()).toEqual({ succeeded: 1, failed: 1 });
    expect(new Set(npa.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([leadId]));
    expect(new Set(npa.requests.map((r) => (r.body as { external_id: string }).external_id))).toEqual(new Set(['CA-retry-ext']));
    expect((await deps.store.getSession(sessionId))?.state).toMatchObject({ outcome: 'succeeded', leadId });

    expect((await retryFailedLead(deps, leadId)).outcome).toBe('already-resolved');
    expect(await counts()).toEqual({ succeeded: 1, failed: 1 });
  });

  it('refuses an incomplete lead unless forced', async () => {
    const { leadId } = await submitLead(deps, { sessionId: null, channel: 'sms', externalId: 'x', extraction: incomplete });
    expect(await retryFailedLead(deps, leadId)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^lead is incomplete: missing vehicle_year, vehicle_make/) });
    expect(npa.requests).toHaveLength(0);
    expect((await retryFailedLead(deps, leadId, { force: true })).outcome).toBe('succeeded');
    expect(npa.requests).toHaveLength(1);
  });

  it('reports an unknown id and retries all unresolved leads', async () => {
    expect((await retryFailedLead(deps, '00000000-0000-4000-8000-000000000000')).outcome).toBe('not-found');
    npa.setMode('fail-500');
    const a = await submitLead(deps, { sessionId: null, channel: 'voice', externalId: 'a', extraction: complete });
    const b = await submitLead(deps, { sessionId: null, channel: 'voice', externalId: 'b', extraction: complete });
    const c = await submitLead(deps, { sessionId: null, channel: 'voice', externalId: 'c', extraction: incomplete });
    npa.setMode('ok');
    const outcomes = await retryAllFailedLeads(deps);
    expect(outcomes.map((o) => [o.id, o.outcome]).sort()).toEqual(
      [[a.leadId, 'succeeded'], [b.leadId, 'succeeded'], [c.leadId, 'refused']].sort(),
    );
    expect(await counts()).toEqual({ succeeded: 2, failed: 3 });
    expect((await deps.store.listFailed()).map((f) => f.id)).toEqual([c.leadId]);
  });
});

describe('leadProblems', () => {
  it('names missing fields and an Alaska ZIP, and nothing for a good lead', () => {
    expect(leadProblems(lead)).toBeUndefined();
    expect(leadProblems({ ...lead, phone: null, vehicle_model: null })).toBe('missing phone, vehicle_model');
    expect(leadProblems({ ...lead, zip_code: '99501' })).toMatch(/^invalid zip_code \(.*Alaska/);
  });
});
