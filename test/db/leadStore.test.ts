import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeadStore } from '../../src/db/leadStore.js';
import { FailedLeadSchema, SucceededLeadSchema } from '../../src/db/entities/index.js';
import { NotFoundError } from '../../src/errors.js';
import { createPgliteTestDatabase, createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import type { Lead } from '../../src/leads/lead.js';

const lead: Lead = {
  full_name: 'Ana Ruiz',
  zip_code: '30093',
  phone: '+14045551234',
  vehicle_year: 2021,
  vehicle_make: 'Honda',
  vehicle_model: 'Rebel 500',
};

// The same suite on the real PostgreSQL and on the embedded PGlite.
describe.each([
  ['postgresql', createTestDatabase],
  ['pglite', createPgliteTestDatabase],
] as const)('LeadStore on %s', (_kind, create) => {
  let t: TestDatabase;
  let store: LeadStore;
  beforeAll(async () => {
    t = await create();
    store = new LeadStore(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('opens a session and upserts by session key, merging state', async () => {
    const id = await store.openSession({ channel: 'voice', sessionKey: 'CA-upsert', state: { a: 1, b: 1 } });
    const again = await store.openSession({ channel: 'voice', sessionKey: 'CA-upsert', state: { b: 2, c: 3 } });
    expect(again).toBe(id);
    const session = await store.getSession(id);
    expect(session).toMatchObject({ id, channel: 'voice', sessionKey: 'CA-upsert', state: { a: 1, b: 2, c: 3 } });
    expect(session?.createdAt).toBeInstanceOf(Date);
    expect((await store.getSessionByKey('CA-upsert'))?.id).toBe(id);
  });

  it('shallow-merges state patches and refuses an unknown session', async () => {
    const id = await store.openSession({ channel: 'sms', sessionKey: '+14045550000', state: { fields: { zip: '30093' } } });
    await store.updateSessionState(id, { outcome: 'failed', fields: { phone: 'x' } });
    await store.updateSessionState(id, { outcome: 'succeeded' });
    expect((await store.getSession(id))?.state).toEqual({ outcome: 'succeeded', fields: { phone: 'x' } });
    await expect(store.updateSessionState('00000000-0000-4000-8000-000000000000', { a: 1 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists failed leads (unresolved by default) and succeeded leads since a date', async () => {
    const sessionId = await store.openSession({ channel: 'voice', sessionKey: 'CA-list', state: {} });
    const em = t.db.em();
    const old = new Date('2024-01-01T00:00:00Z');
    const recent = new Date();
    em.create(FailedLeadSchema, { id: crypto.randomUUID(), leadData: lead, errorMessage: 'NPA API error: 503 Service Unavailable', channel: 'voice', session: sessionId, attempts: 4, lastAttemptAt: recent, resolvedAt: null, createdAt: recent });
    em.create(FailedLeadSchema, { id: crypto.randomUUID(), leadData: lead, errorMessage: 'old', channel: 'voice', session: null, attempts: 1, lastAttemptAt: old, resolvedAt: recent, createdAt: old });
    em.create(SucceededLeadSchema, { id: crypto.randomUUID(), leadData: lead, channel: 'sms', session: null, npaResponse: { id: 'n1' }, createdAt: old });
    em.create(SucceededLeadSchema, { id: crypto.randomUUID(), leadData: lead, channel: 'voice', session: sessionId, npaResponse: { id: 'n2' }, createdAt: recent });
    await em.flush();

    const unresolved = await store.listFailed();
    expect(unresolved.map((f) => f.errorMessage)).toEqual(['NPA API error: 503 Service Unavailable']);
    expect(unresolved[0]).toMatchObject({ sessionId, attempts: 4, resolvedAt: null, leadData: lead });
    expect((await store.listFailed({ includeResolved: true })).map((f) => f.errorMessage)).toEqual(['NPA API error: 503 Service Unavailable', 'old']);
    expect(await store.getFailed(unresolved[0]!.id)).toEqual(unresolved[0]);
    expect(await store.getFailed('not-a-uuid')).toBeNull();
    expect(await store.getFailed('00000000-0000-4000-8000-000000000000')).toBeNull();

    expect((await store.listSucceeded()).map((s) => s.npaResponse)).toEqual([{ id: 'n2' }, { id: 'n1' }]);
    expect((await store.listSucceeded({ since: new Date('2025-01-01') })).map((s) => s.sessionId)).toEqual([sessionId]);
  });

  it('answers ping', async () => {
    await expect(t.db.ping()).resolves.toBeUndefined();
  });
});
