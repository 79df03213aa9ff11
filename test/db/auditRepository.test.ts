import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_ACTOR } from '../../src/db/auditRepository.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

let t: TestDatabase;
let repos: Repositories;
beforeAll(async () => {
  t = await createTestDatabase();
  repos = createRepositories(t.db);
});
afterAll(async () => {
  await t?.close();
});

describe('AuditRepository', () => {
  it('records entries and reads them per lead (oldest first) and recent (newest first)', async () => {
    const leadId = randomUUID();
    const first = await repos.audit.record({ operator: 'alice', action: 'lead.retry', leadId, sessionKey: 'CA123' });
    const second = await repos.audit.record({
      operator: ADMIN_TOKEN_ACTOR,
      action: 'review.edit',
      leadId,
      detail: { field: 'zip_code', from: '30093', to: '30094' },
    });
    await repos.audit.record({ operator: 'bob', action: 'operator.login' });

    const forLead = await repos.audit.forLead(leadId);
    expect(forLead).toEqual([
      { ...first, detail: {} },
      { ...second, operator: 'ADMIN_TOKEN', sessionKey: null, detail: { field: 'zip_code', from: '30093', to: '30094' } },
    ]);
    expect(forLead[0]).toMatchObject({ operator: 'alice', action: 'lead.retry', sessionKey: 'CA123' });
    expect(await repos.audit.forLead(randomUUID())).toEqual([]);
    expect(await repos.audit.forLead('not-a-uuid')).toEqual([]);

    const recent = await repos.audit.recent({ limit: 2 });
    expect(recent.map((e) => e.action)).toEqual(['operator.login', 'review.edit']);
    expect((await repos.audit.recent()).length).toBe(3);
    expect((await repos.audit.recent({ limit: 0 })).length).toBe(1);
  });

  it('reads a conversation: its lead\'s entries and the call\'s own (a recording played), oldest first', async () => {
    const leadId = randomUUID();
    const played = await repos.audit.record({ operator: 'alice', action: 'recording.play', sessionKey: 'CAconv1', detail: { kind: 'call' } });
    const retried = await repos.audit.record({ operator: 'alice', action: 'lead.retry', leadId });
    await repos.audit.record({ operator: 'alice', action: 'recording.play', sessionKey: 'CAother' });
    expect((await repos.audit.forConversation(leadId, 'CAconv1')).map((e) => e.id)).toEqual([played.id, retried.id]);
    // Without a lead (nothing was saved yet), or with a malformed one: the call's own entries.
    expect((await repos.audit.forConversation(null, 'CAconv1')).map((e) => e.id)).toEqual([played.id]);
    expect((await repos.audit.forConversation('not-a-uuid', 'CAconv1')).map((e) => e.id)).toEqual([played.id]);
  });

  it('writes inside the caller\'s transaction: rolled back with it', async () => {
    const leadId = randomUUID();
    await t.db
      .em()
      .transactional(async (em) => {
        await repos.audit.record({ operator: 'alice', action: 'lead.resolve', leadId }, em);
        throw new Error('the action failed');
      })
      .catch(() => undefined);
    expect(await repos.audit.forLead(leadId)).toEqual([]);
  });
});
