import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import type { ReviewState } from '../../src/db/entities/index.js';
import type { Lead } from '../../src/leads/lead.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const lead: Lead = {
  full_name: 'Ana Ruiz',
  zip_code: '30093',
  phone: '+14045551234',
  vehicle_year: 2021,
  vehicle_make: 'Honda',
  vehicle_model: 'Rebel 500',
};

/** The counts `/metrics` reads at scrape time: the outbox backlog and the review queue. */
describe('repository counts for /metrics', () => {
  let t: TestDatabase;
  let repos: Repositories;
  beforeAll(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts pending outbox rows, not finished ones', async () => {
    expect(await repos.outbox.countPending()).toBe(0);
    const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await t.db.em().transactional(async (em) => {
      for (const id of ids) await repos.outbox.insertPending(em, { id, lead, channel: 'voice', sessionId: null, externalId: `CA-${id}` }, 3);
    });
    expect(await repos.outbox.countPending()).toBe(3);
    await t.db.em().transactional((em) => repos.outbox.finish(em, ids[0]!, { status: 'succeeded', npaAttempts: 1, lastError: null }));
    await t.db.em().transactional((em) => repos.outbox.finish(em, ids[1]!, { status: 'failed', npaAttempts: 1, lastError: 'x' }));
    expect(await repos.outbox.countPending()).toBe(1);
  });

  it('counts decisions held or sent for review, not decided or unreviewed ones', async () => {
    expect(await repos.decisions.countOpenReviews()).toBe(0);
    const states: ReviewState[] = ['held', 'sent', 'held', 'none', 'approved', 'rejected'];
    await t.db.em().transactional(async (em) => {
      for (const review of states) {
        const id = crypto.randomUUID();
        await repos.decisions.insert(em, { id, channel: 'voice', sessionId: null, externalId: `CA-${id}`, lead, fields: {}, disputed: [], reasked: false, review });
      }
    });
    expect(await repos.decisions.countOpenReviews()).toBe(3);
    expect(await repos.decisions.countOpenReviews()).toBe((await repos.decisions.openReviews()).length);
  });
});
