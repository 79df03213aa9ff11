import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apologyFromSession } from '../../src/calls/apologyFromSession.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** The `<Connect action>` webhook on an instance that did not run the call asks the call's session row. */
describe('apologyFromSession', () => {
  let database: TestDatabase;
  let repos: Repositories;
  beforeAll(async () => {
    database = await createTestDatabase();
    repos = createRepositories(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('says yes for a call whose model failed, no for one that ended otherwise or that no instance wrote', async () => {
    await repos.sessions.open({ channel: 'voice', sessionKey: 'CAap1', state: { phase: 'awaiting-transcript', endReason: 'model-failure' } });
    await repos.sessions.open({ channel: 'voice', sessionKey: 'CAap2', state: { phase: 'saved-success', endReason: 'goodbye' } });
    expect(await apologyFromSession(repos.sessions, 'CAap1')).toBe(true);
    expect(await apologyFromSession(repos.sessions, 'CAap2')).toBe(false);
    expect(await apologyFromSession(repos.sessions, 'CAap-none')).toBe(false);
  });

  it('waits briefly for a call still streaming: the model failure written a moment later still counts', async () => {
    const id = await repos.sessions.open({ channel: 'voice', sessionKey: 'CAap3', state: { phase: 'streaming' } });
    setTimeout(() => void repos.sessions.patch(id, { phase: 'awaiting-transcript', endReason: 'model-failure' }), 150);
    expect(await apologyFromSession(repos.sessions, 'CAap3', { tries: 5, waitMs: 100 })).toBe(true);
    // One that stays streaming is not apologised for (the caller hangs up as on any other call).
    await repos.sessions.open({ channel: 'voice', sessionKey: 'CAap4', state: { phase: 'streaming' } });
    expect(await apologyFromSession(repos.sessions, 'CAap4', { tries: 2, waitMs: 10 })).toBe(false);
  });
});
