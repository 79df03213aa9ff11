import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationQueries, type SettledPhases } from '../../src/db/conversationQueries.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import type { Lead } from '../../src/leads/lead.js';
import { qualityRecord } from '../support/qualityRecord.js';
import { createPgliteTestDatabase, createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const SETTLED: SettledPhases = { voice: ['saved-success', 'saved-failure'], sms: ['done'] };
const lead: Lead = { full_name: 'Ana Ruiz', zip_code: '30093', phone: '+14045551234', vehicle_year: 2021, vehicle_make: 'Honda', vehicle_model: 'Rebel 500' };
const all = { limit: 50, offset: 0 };

// The same statements on the real PostgreSQL and on the embedded PGlite (the server runs on either).
describe.each([
  ['postgresql', createTestDatabase],
  ['pglite', createPgliteTestDatabase],
] as const)('conversation queries on %s', (_kind, create) => {
  let t: TestDatabase;
  let repos: Repositories;
  let queries: ConversationQueries;
  let leadId: string;

  beforeAll(async () => {
    t = await create();
    repos = createRepositories(t.db);
    queries = new ConversationQueries(t.db);
    leadId = randomUUID();
    const sessionId = await repos.sessions.open({
      channel: 'voice',
      sessionKey: 'CA-done',
      state: { phase: 'saved-success', callSid: 'CA-done', callerPhone: '+14045551234', leadId, fields: lead, outcome: 'succeeded', quality: qualityRecord() },
    });
    await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-live', state: { phase: 'streaming', callSid: 'CA-live', callerPhone: null } });
    await repos.sessions.open({ channel: 'sms', sessionKey: 'sms:x', state: { phase: 'done', phone: '+16785550122', fields: null } });
    // A state whose values have the wrong types (an old row): read as absent, not an error.
    await repos.sessions.open({ channel: 'voice', sessionKey: 'CA-odd', state: { phase: 'saved-failure', quality: { durationMs: 'x', bargeIns: [1], waits: 3 } } as never });
    await t.db.em().transactional((em) =>
      repos.outbox.insertPending(em, { id: leadId, lead, channel: 'voice', sessionId, externalId: 'CA-done' }, 6),
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('lists with the outcome rule, the JSONB values and the count', async () => {
    const { rows, total } = await queries.list(all, SETTLED);
    expect(total).toBe(4);
    expect(rows.map((r) => [r.sessionKey, r.outcome])).toEqual([
      ['CA-odd', null],
      ['sms:x', null],
      ['CA-live', 'live'],
      ['CA-done', 'succeeded'],
    ]);
    expect(rows.find((r) => r.sessionKey === 'CA-done')).toMatchObject({ callSid: 'CA-done', name: 'Ana Ruiz', durationMs: 60_000, greetingMs: 900, responseMs: [400, 500, 600], bargeIns: 0, hasRecording: false });
    expect(rows.find((r) => r.sessionKey === 'CA-odd')).toMatchObject({ durationMs: null, greetingMs: null, bargeIns: null, name: null });
    expect(rows.find((r) => r.sessionKey === 'sms:x')).toMatchObject({ callSid: null, callerPhone: '+16785550122' });
    expect((await queries.list({ ...all, q: '404 555 1234' }, SETTLED)).rows.map((r) => r.sessionKey)).toEqual(['CA-done']);
    expect((await queries.list({ ...all, q: 'ana r' }, SETTLED)).total).toBe(1);
    expect((await queries.list({ ...all, outcome: 'live', channel: 'voice' }, SETTLED)).total).toBe(1);
    // With no settled phases a channel has no finished conversations.
    expect((await queries.list({ ...all, outcome: 'live' }, { voice: [], sms: [] })).total).toBe(3);
  });

  it('one summary by id; the outbox row; per-hour outcomes; the quality records; the review counts', async () => {
    const done = await repos.sessions.getByKey('CA-done');
    expect(await queries.summary(done!.id, SETTLED)).toMatchObject({ sessionKey: 'CA-done', outcome: 'succeeded' });
    expect(await queries.summary(randomUUID(), SETTLED)).toBeNull();
    expect(await queries.outboxRow(leadId)).toMatchObject({ id: leadId, kind: 'new', status: 'pending', attempts: 0, npaAttempts: 0, maxAttempts: 6, lead, channel: 'voice', externalId: 'CA-done', lockedUntil: null, finishedAt: null });
    expect(await queries.outboxRow(randomUUID())).toBeNull();
    const window = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 1000) };
    const hourly = await queries.hourlyOutcomes(window, SETTLED);
    expect(hourly.reduce((n, h) => n + h.calls, 0)).toBe(3);
    expect(hourly.every((h) => h.hour.getTime() % 3_600_000 === 0)).toBe(true);
    const records = await queries.qualityRecords(window);
    expect(records.map((r) => r.sessionId).sort()).toEqual([done!.id, (await repos.sessions.getByKey('CA-odd'))!.id].sort());
    expect(await queries.reviewCounts(window)).toEqual({ leads: 0, inReview: 0, open: 0 });
  });
});
