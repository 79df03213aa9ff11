import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { readSmsState, readVoiceState } from '../../src/db/entities/sessionState.js';
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
] as const)('repositories on %s', (_kind, create) => {
  let t: TestDatabase;
  let repos: Repositories;
  beforeAll(async () => {
    t = await create();
    repos = createRepositories(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('opens a session and upserts by session key, merging state', async () => {
    const id = await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-upsert', state: { phase: 'connecting', callSid: 'CA-upsert' } });
    const again = await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-upsert', state: { phase: 'streaming', endReason: null } });
    expect(again).toBe(id);
    const session = await repos.sessions.get(id);
    expect(session).toMatchObject({ id, channel: 'voice', sessionKey: 'CA-upsert', state: { phase: 'streaming', callSid: 'CA-upsert', endReason: null } });
    expect(session?.createdAt).toBeInstanceOf(Date);
    expect((await repos.sessions.getByKey('CA-upsert'))?.id).toBe(id);
  });

  it('shallow-merges state patches and refuses an unknown session', async () => {
    const id = await repos.sessions.open({ channel: 'sms', sessionKey: '+14045550000', state: { fields: { ...lead, phone: null } } });
    await repos.sessions.patch(id, { outcome: 'failed', fields: lead });
    await repos.sessions.patch(id, { outcome: 'succeeded' });
    expect((await repos.sessions.get(id))?.state).toEqual({ outcome: 'succeeded', fields: lead });
    await expect(repos.sessions.patch('00000000-0000-4000-8000-000000000000', { phase: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads stored state per channel, leaving out what does not parse', () => {
    const stored = { phase: 'streaming', transcript: [{ role: 'user', text: 'hi' }], fields: { nonsense: true }, leadId: 7, extra: 'kept out' };
    expect(readVoiceState(stored)).toEqual({ phase: 'streaming', transcript: [{ role: 'user', text: 'hi' }] });
    expect(readSmsState({ phone: '+14045550000', machine: null, outcome: null })).toEqual({ phone: '+14045550000', machine: null, outcome: null });
    expect(readVoiceState(null)).toEqual({});
    expect(readVoiceState('not an object')).toEqual({});
  });

  it('claims idle sessions not in a settled phase, skipping rows another transaction holds', async () => {
    const idle = await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-idle', state: { phase: 'streaming' } });
    await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-settled', state: { phase: 'saved-success' } });
    await t.db.em().execute(`update conversation_sessions set updated_at = now() - interval '1 hour' where session_key in ('CA-idle', 'CA-settled')`);
    const settled = ['saved-success', 'saved-failure'];
    await t.db.em().transactional(async (em) => {
      const rows = await repos.sessions.claimIdle(em, { channel: 'voice', settledPhases: settled, idleMs: 60_000, limit: 10 });
      expect(rows.map((r) => r.id)).toContain(idle);
      expect(rows.map((r) => r.sessionKey)).not.toContain('CA-settled');
    });
    // A session someone else answers for (its lead is in the spool) is not claimed, however idle.
    await t.db.em().transactional(async (em) => {
      const rows = await repos.sessions.claimIdle(em, { channel: 'voice', settledPhases: settled, idleMs: 60_000, limit: 10, excludeKeys: ['CA-other', 'CA-idle'] });
      expect(rows.map((r) => r.id)).not.toContain(idle);
    });
    // Written since: no longer idle.
    await repos.sessions.patch(idle, {});
    await t.db.em().transactional(async (em) => {
      const rows = await repos.sessions.claimIdle(em, { channel: 'voice', settledPhases: settled, idleMs: 60_000, limit: 10 });
      expect(rows.map((r) => r.id)).not.toContain(idle);
    });
  });

  it('writes failed leads: insert, retry failure, resolve, and a note appended once', async () => {
    const sessionId = await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-failed-writes', state: {} });
    const id = crypto.randomUUID();
    await t.db.em().transactional((em) => repos.failed.insert(em, { id, lead, reason: 'missing: phone', channel: 'voice', sessionId, attempts: 0 }));
    expect(await repos.failed.get(id)).toMatchObject({ errorMessage: 'missing: phone', attempts: 0, lastAttemptAt: null, resolvedAt: null, sessionId });
    await t.db.em().transactional((em) => repos.failed.recordRetryFailure(em, id, 3, 'NPA API error: 503 Service Unavailable'));
    await t.db.em().transactional((em) => repos.failed.recordRetryFailure(em, id, 2, 'NPA API error: 500 Internal Server Error'));
    // The first reason stays; each failed retry is kept, oldest first.
    expect(await repos.failed.get(id)).toMatchObject({
      errorMessage: 'missing: phone',
      attempts: 5,
      retries: [
        { reason: 'NPA API error: 503 Service Unavailable', attempts: 3, at: expect.any(String) },
        { reason: 'NPA API error: 500 Internal Server Error', attempts: 2, at: expect.any(String) },
      ],
    });
    const noted = await t.db.em().transactional((em) => repos.failed.appendNote(em, sessionId, 'caller left a recording: RE1 u', 'RE1'));
    await t.db.em().transactional((em) => repos.failed.appendNote(em, sessionId, 'caller left a recording: RE1 u', 'RE1'));
    expect(noted).toEqual([id]);
    expect((await repos.failed.get(id))?.errorMessage).toBe('missing: phone; caller left a recording: RE1 u');
    await t.db.em().transactional((em) => repos.failed.resolve(em, id, 1));
    const resolved = await repos.failed.get(id);
    expect(resolved?.resolvedAt).toBeInstanceOf(Date);
    expect(resolved?.attempts).toBe(6);
  });

  it('outbox rows: claimed once under a lease, released with a backoff, finished once', async () => {
    const id = crypto.randomUUID();
    await t.db.em().transactional((em) =>
      repos.outbox.insertPending(em, { id, lead, channel: 'voice', sessionId: null, externalId: 'CA-outbox' }, 3),
    );
    const [row] = await repos.outbox.claim({ id }, { limit: 1, leaseMs: 60_000, token: 'a', deadAfterMs: 15_000 });
    expect(row).toMatchObject({ id, attempts: 1, max_attempts: 3, locked_by: 'a', lead_data: lead });
    expect(await repos.outbox.claim({ id }, { limit: 1, leaseMs: 60_000, token: 'b', deadAfterMs: 15_000 })).toEqual([]);
    expect(await repos.outbox.isHeld(id)).toBe(true);
    await repos.outbox.release(row!, { reason: 'NPA API error: 503 Service Unavailable', npaAttempts: 2, delayMs: 60_000, sent: true });
    expect(await repos.outbox.isHeld(id)).toBe(false);
    expect(await repos.outbox.claim({ dueOnly: true }, { limit: 10, leaseMs: 60_000, token: 'c', deadAfterMs: 15_000 })).not.toContainEqual(expect.objectContaining({ id }));
    expect(await repos.outbox.status(t.db.em(), id)).toEqual({ status: 'pending', attempts: 1, lastError: 'NPA API error: 503 Service Unavailable' });
    // The API is back: the backoff is over at once.
    expect(await repos.outbox.expediteBackoff()).toBeGreaterThanOrEqual(1);
    const [again] = await repos.outbox.claim({ dueOnly: true }, { limit: 10, leaseMs: 60_000, token: 'd', deadAfterMs: 15_000 }).then((rows) => rows.filter((r) => r.id === id));
    expect(again).toMatchObject({ id, attempts: 2, npa_attempts: 2 });
    // A pass that sent nothing (the circuit was open) is not counted.
    await repos.outbox.release(again!, { reason: 'circuit open', npaAttempts: 0, delayMs: 0, sent: false });
    expect(await repos.outbox.status(t.db.em(), id)).toEqual({ status: 'pending', attempts: 1, lastError: 'circuit open' });
    expect(await t.db.em().transactional((em) => repos.outbox.finish(em, id, { status: 'succeeded', npaAttempts: 1, lastError: null }))).toBe(true);
    expect(await t.db.em().transactional((em) => repos.outbox.finish(em, id, { status: 'failed', npaAttempts: 1, lastError: 'x' }))).toBe(false);
    expect(await repos.outbox.status(t.db.em(), id)).toMatchObject({ status: 'succeeded', lastError: null });
  });

  it('instances: registered, beating, stopped; a restart under the same id restamps its start; day-old rows pruned', async () => {
    type Row = { id: string; started_at: string | Date; heartbeat_at: string | Date; stopped_at: string | Date | null };
    const ms = (value: string | Date | null | undefined) => new Date(value ?? Number.NaN).getTime();
    const row = async (id: string) => (await t.db.em().execute<Row[]>('select * from instances where id = ?', [id]))[0];
    await repos.instances.register('i-1');
    const first = await row('i-1');
    expect(first).toMatchObject({ id: 'i-1', stopped_at: null });
    await repos.instances.beat('i-1');
    expect(ms((await row('i-1'))?.heartbeat_at)).toBeGreaterThanOrEqual(ms(first?.heartbeat_at));
    await repos.instances.stop('i-1');
    expect((await row('i-1'))?.stopped_at).not.toBeNull();
    await repos.instances.register('i-1');
    const again = await row('i-1');
    expect(again?.stopped_at).toBeNull();
    expect(ms(again?.started_at)).toBeGreaterThanOrEqual(ms(first?.started_at));

    await repos.instances.register('i-old');
    await t.db.em().execute(`update instances set heartbeat_at = now() - interval '2 days' where id = 'i-old'`);
    await repos.instances.register('i-2');
    expect(await row('i-old')).toBeUndefined();
  });

  it('lists failed leads (unresolved by default) and succeeded leads since a date', async () => {
    const sessionId = await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-list', state: {} });
    await t.db.em().execute('delete from failed_leads; delete from succeeded_leads');
    const em = t.db.em();
    const old = new Date('2024-01-01T00:00:00Z');
    const recent = new Date();
    em.create(FailedLeadSchema, { id: crypto.randomUUID(), leadData: lead, errorMessage: 'NPA API error: 503 Service Unavailable', channel: 'voice', session: sessionId, attempts: 4, retries: [], lastAttemptAt: recent, resolvedAt: null, createdAt: recent });
    em.create(FailedLeadSchema, { id: crypto.randomUUID(), leadData: lead, errorMessage: 'old', channel: 'voice', session: null, attempts: 1, retries: [], lastAttemptAt: old, resolvedAt: recent, createdAt: old });
    em.create(SucceededLeadSchema, { id: crypto.randomUUID(), leadData: lead, channel: 'sms', session: null, npaResponse: { id: 'n1' }, createdAt: old });
    em.create(SucceededLeadSchema, { id: crypto.randomUUID(), leadData: lead, channel: 'voice', session: sessionId, npaResponse: { id: 'n2' }, createdAt: recent });
    await em.flush();

    const unresolved = await repos.failed.list();
    expect(unresolved.map((f) => f.errorMessage)).toEqual(['NPA API error: 503 Service Unavailable']);
    expect(unresolved[0]).toMatchObject({ sessionId, attempts: 4, resolvedAt: null, leadData: lead });
    expect((await repos.failed.list({ includeResolved: true })).map((f) => f.errorMessage)).toEqual(['NPA API error: 503 Service Unavailable', 'old']);
    expect(await repos.failed.get(unresolved[0]!.id)).toEqual(unresolved[0]);
    expect(await repos.failed.get('not-a-uuid')).toBeNull();
    expect(await repos.failed.get('00000000-0000-4000-8000-000000000000')).toBeNull();

    expect((await repos.succeeded.list()).map((s) => s.npaResponse)).toEqual([{ id: 'n2' }, { id: 'n1' }]);
    expect((await repos.succeeded.list({ since: new Date('2025-01-01') })).map((s) => s.sessionId)).toEqual([sessionId]);
  });

  it('answers ping', async () => {
    await expect(t.db.ping()).resolves.toBeUndefined();
  });
});
