import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { SucceededLeadSchema } from '../../src/db/entities/index.js';
import { BadInputError, NotFoundError } from '../../src/errors.js';
import type { Lead } from '../../src/leads/lead.js';
import { RESOLUTION_NOTE_MAX_CHARS, resolveFailedLead, type ResolveDeps } from '../../src/outbox/resolveFailedLead.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const lead: Lead = {
  full_name: 'Dana Whitfield',
  zip_code: '30093',
  phone: '+14045550123',
  vehicle_year: 2019,
  vehicle_make: 'Yamaha',
  vehicle_model: 'Grizzly 700',
};

let t: TestDatabase;
let repos: Repositories;
let deps: ResolveDeps;

beforeAll(async () => {
  t = await createTestDatabase();
  repos = createRepositories(t.db);
  deps = { repos, logger: t.logger };
});
afterAll(async () => {
  await t?.close();
});

async function failedLead(): Promise<string> {
  const id = randomUUID();
  await repos.failed.insert(t.db.em(), { id, lead, reason: 'NPA API error: 503 Service Unavailable', channel: 'voice', sessionId: null, attempts: 3 });
  return id;
}

const failure = (work: Promise<unknown>): Promise<unknown> => work.then(() => new Error('expected a failure'), (error: unknown) => error);

describe('resolveFailedLead', () => {
  it('resolves the lead with the note and who resolved it, without sending it, and audits it', async () => {
    const id = await failedLead();
    const resolved = await resolveFailedLead(deps, id, '  Called back; bought elsewhere.  ', 'alice');
    expect(resolved).toMatchObject({ id, resolutionNote: 'Called back; bought elsewhere.', resolvedBy: 'alice', attempts: 3 });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    expect(await repos.failed.get(id)).toEqual(resolved);
    expect(await repos.failed.list()).not.toContainEqual(expect.objectContaining({ id }));
    expect(await t.db.em().count(SucceededLeadSchema, { id })).toBe(0);
    const audit = await repos.audit.forLead(id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operator: 'alice', action: 'lead.resolve', leadId: id, detail: { note: 'Called back; bought elsewhere.' } });
  });

  it('refuses a lead already resolved, naming who resolved it; nothing changes', async () => {
    const id = await failedLead();
    await resolveFailedLead(deps, id, 'duplicate of an SMS lead', 'alice');
    const again = await failure(resolveFailedLead(deps, id, 'another note', 'bob'));
    expect(again).toBeInstanceOf(BadInputError);
    expect((again as Error).message).toMatch(new RegExp(`^lead ${id} was already resolved at .+ by alice$`));
    expect(await repos.failed.get(id)).toMatchObject({ resolutionNote: 'duplicate of an SMS lead', resolvedBy: 'alice' });
    expect(await repos.audit.forLead(id)).toHaveLength(1);
  });

  it('lets only one of two concurrent resolutions through', async () => {
    const id = await failedLead();
    const results = await Promise.allSettled([resolveFailedLead(deps, id, 'first', 'alice'), resolveFailedLead(deps, id, 'second', 'bob')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(BadInputError);
    expect(await repos.audit.forLead(id)).toHaveLength(1);
  });

  it('refuses an unknown or malformed id with NotFoundError', async () => {
    expect(await failure(resolveFailedLead(deps, randomUUID(), 'note', 'alice'))).toBeInstanceOf(NotFoundError);
    expect(await failure(resolveFailedLead(deps, 'nope', 'note', 'alice'))).toBeInstanceOf(NotFoundError);
  });

  it('refuses an empty or overlong note, an empty name, and a lead whose retry is under way', async () => {
    const id = await failedLead();
    expect(await failure(resolveFailedLead(deps, id, '   ', 'alice'))).toMatchObject({ name: 'BadInputError', message: expect.stringContaining('needs a note') });
    expect(await failure(resolveFailedLead(deps, id, 'x'.repeat(RESOLUTION_NOTE_MAX_CHARS + 1), 'alice'))).toBeInstanceOf(BadInputError);
    expect(await failure(resolveFailedLead(deps, id, 'note', ' '))).toBeInstanceOf(BadInputError);
    await repos.outbox.enqueueRetry({ id, lead, channel: 'voice', sessionId: null, externalId: 'CA-retrying' });
    expect(await failure(resolveFailedLead(deps, id, 'note', 'alice'))).toMatchObject({ message: `a retry of lead ${id} is under way: wait for its outcome` });
    expect(await repos.failed.get(id)).toMatchObject({ resolvedAt: null, resolutionNote: null, resolvedBy: null });
  });
});
