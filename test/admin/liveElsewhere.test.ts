import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCallsElsewhere } from '../../src/admin/liveElsewhere.js';
import { ConversationQueries } from '../../src/db/conversationQueries.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** The live view's calls of other instances, read from their session rows on the real database. */
describe('liveCallsElsewhere', () => {
  let database: TestDatabase;
  let repos: Repositories;

  beforeAll(async () => {
    database = await createTestDatabase();
    repos = createRepositories(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });

  const call = (callSid: string, instanceId: string, phase: string, extra: Record<string, unknown> = {}) =>
    repos.sessions.open({
      channel: 'voice',
      sessionKey: callSid,
      state: {
        phase,
        callSid,
        instanceId,
        leadId: randomUUID(),
        callerPhone: '+14045550111',
        timings: { connecting: '2026-12-01T10:00:00.000Z', streaming: '2026-12-01T10:00:01.000Z' },
        captured: { zip_code: { value: '30093', at: '2026-12-01T10:00:05.000Z', attempts: 2 } },
        ...extra,
      },
    });

  it('lists the calls under way on other live instances: phase, path, captured fields, the instance', async () => {
    await repos.instances.register('here');
    await repos.instances.register('there');
    await repos.instances.register('gone');
    await repos.instances.stop('gone');
    await call('CAelsewhere00000000000000000000001', 'there', 'streaming');
    await call('CAelsewhere00000000000000000000002', 'there', 'saved-success'); // finished
    await call('CAelsewhere00000000000000000000003', 'here', 'streaming'); // ours: the actors tell us
    await call('CAelsewhere00000000000000000000004', 'gone', 'streaming'); // its instance stopped: not live
    await call('CAelsewhere00000000000000000000005', 'unknown-instance', 'streaming'); // no such instance

    const calls = await liveCallsElsewhere(new ConversationQueries(database.db), { instanceId: 'here', graceMs: 15_000 });
    expect(calls).toEqual([
      {
        callSid: 'CAelsewhere00000000000000000000001',
        leadId: expect.any(String),
        startedAt: expect.any(String),
        state: 'streaming',
        path: ['connecting', 'streaming'],
        status: 'active',
        endedAt: null,
        outcome: null,
        captured: { zip_code: { value: '30093', at: '2026-12-01T10:00:05.000Z', attempts: 2 } },
        callerPhone: '+14045550111',
        lastEvents: [],
        instanceId: 'there',
      },
    ]);
  });

  it('drops an instance whose heartbeat is older than the grace', async () => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    const calls = await liveCallsElsewhere(new ConversationQueries(database.db), { instanceId: 'here', graceMs: 50 });
    expect(calls).toEqual([]);
  });
});
