// `leads failed resolve ID --note TEXT`: the real CLI in a child process; `failed show` then prints the note.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import type { Lead } from '../../src/leads/lead.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { runLeads } from '../support/runLeads.js';

const lead: Lead = {
  full_name: 'Sam Okafor',
  zip_code: '30093',
  phone: '+14045550199',
  vehicle_year: 2022,
  vehicle_make: 'Kawasaki',
  vehicle_model: 'Teryx',
};

let t: TestDatabase;
let repos: Repositories;
beforeAll(async () => {
  t = await createTestDatabase();
  repos = createRepositories(t.db);
});
afterAll(async () => {
  await t?.close();
});

describe('leads failed resolve', { timeout: 120_000 }, () => {
  it('resolves with the note and --by; show prints both; a second resolve and unknown ids are refused', async () => {
    const id = randomUUID();
    await repos.failed.insert(t.db.em(), { id, lead, reason: 'NPA API error: 422 Unprocessable Entity', channel: 'sms', sessionId: null, attempts: 1 });

    const resolved = await runLeads(['failed', 'resolve', id, '--note', 'Phoned back, lead entered by hand', '--by', 'alice'], t.env);
    expect(resolved).toMatchObject({ code: 0, stdout: `${id}  resolved\n`, stderr: '' });
    expect(await repos.failed.get(id)).toMatchObject({ resolutionNote: 'Phoned back, lead entered by hand', resolvedBy: 'alice' });

    const shown = await runLeads(['failed', 'show', id], t.env);
    expect(shown.stdout).toMatch(/resolved\s+\d{4}-\d\d-\d\d/);
    expect(shown.stdout).toMatch(/resolved by\s+alice\n/);
    expect(shown.stdout).toMatch(/note\s+Phoned back, lead entered by hand\n/);
    const json = await runLeads(['failed', 'show', id, '--json'], t.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ resolutionNote: 'Phoned back, lead entered by hand', resolvedBy: 'alice' });

    const again = await runLeads(['failed', 'resolve', id, '--note', 'again'], t.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`leads: lead ${id} was already resolved at`);
    const unknown = await runLeads(['failed', 'resolve', randomUUID(), '--note', 'x'], t.env);
    expect(unknown.code).toBe(3);
    const malformed = await runLeads(['failed', 'resolve', 'nope', '--note', 'x'], t.env);
    expect(malformed).toMatchObject({ code: 3, stderr: 'leads: no failed lead with id nope\n' });
    const noNote = await runLeads(['failed', 'resolve', id], t.env);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toContain('usage: leads failed resolve ID --note TEXT [--by NAME]');
  });
});
