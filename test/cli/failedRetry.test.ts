import { randomUUID } from 'node:crypto';
// Acceptance: a lead that failed because NPA answered 503 is driven through `leads failed retry` (the real CLI in a
// child process) into succeeded_leads once the fake NPA recovers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailedLeadSchema, SucceededLeadSchema } from '../../src/db/entities/index.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { refusalFor } from '../../src/leads/problems.js';
import { leadStack } from '../support/leadStack.js';
import type { ExtractionResult } from '../../src/leads/lead.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { runLeads } from '../support/runLeads.js';

const extraction: ExtractionResult = {
  lead: {
    full_name: 'Mary-Kate O\'Neil',
    zip_code: '30093',
    phone: '+14045550111',
    vehicle_year: 2020,
    vehicle_make: 'Polaris',
    vehicle_model: 'RZR XP 1000',
  },
  complete: true,
  errors: [],
  missing: [],
  reasons: {},
};

let t: TestDatabase;
let npa: FakeNpa;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  cliEnv = {
    ...t.env,
    NPA_API_URL: npa.url,
    NPA_API_USERNAME: 'psb',
    NPA_API_PASSWORD: 'pw',
    NPA_MAX_ATTEMPTS: '2',
    NPA_TIMEOUT_MS: '2000',
  };
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});

// Each CLI run is a fresh node + tsx + ORM start-up (1-4 s under load).
describe('leads failed retry (acceptance)', { timeout: 120_000 }, () => {
  it('moves a lead failed on 503 into succeeded_leads once NPA recovers, with the same Idempotency-Key', async () => {
    npa.setMode('fail-503');
    const client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', maxAttempts: 2, baseDelayMs: 1, logger: t.logger });
    // One outbox pass: the 503 makes it a failed lead at once instead of a pending one the worker would retry.
    const { repos: store, intake } = leadStack(t.db, client, t.logger, { maxAttempts: 1 });
    const leadId = randomUUID();
    const { outcome } = await intake.submit({
      id: leadId,
      channel: 'voice',
      externalId: 'CA-acceptance',
      lead: extraction.lead,
      sessionKey: 'CA-acceptance',
      sessionState: {},
    });
    expect(outcome).toBe('failed');
    const sessionId = (await store.sessions.getByKey('CA-acceptance'))?.id;

    const listed = await runLeads(['failed', 'list', '--json'], cliEnv);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string; errorMessage: string }[]).map((r) => [r.id, r.errorMessage])).toEqual([
      [leadId, 'NPA API error: 503 Service Unavailable'],
    ]);
    const table = await runLeads(['failed', 'list'], cliEnv);
    expect(table.stdout).toMatch(/^ID\s+CREATED\s+CHANNEL\s+ATTEMPTS/);
    expect(table.stdout).toContain(leadId);

    // Still down: the retry fails, exit 1, attempts bumped.
    const stillDown = await runLeads(['failed', 'retry', leadId], cliEnv);
    expect(stillDown.code).toBe(1);
    expect(stillDown.stdout).toContain(`${leadId}  failed: NPA API error: 503 Service Unavailable`);
    expect((await store.failed.get(leadId))?.attempts).toBe(4);
    // The first reason stays; the retry is added to the lead's history, and `failed show` lists it.
    expect(await store.failed.get(leadId)).toMatchObject({
      errorMessage: 'NPA API error: 503 Service Unavailable',
      retries: [{ reason: 'NPA API error: 503 Service Unavailable', attempts: 2 }],
    });
    const shown = await runLeads(['failed', 'show', leadId], cliEnv);
    expect(shown.stdout).toMatch(/retry 1\s+\S+\s+NPA API error: 503 Service Unavailable \(2 NPA attempts\)/);

    npa.setMode('ok');
    const recovered = await runLeads(['failed', 'retry', leadId, '--by', 'ops-cli'], cliEnv);
    expect(recovered).toMatchObject({ code: 0, stderr: '' });
    expect(recovered.stdout.trim()).toBe(`${leadId}  succeeded`);
    // Both retries are in the audit log (the console shows it with the lead): the first as the OS user, this one --by.
    const audit = await store.audit.forLead(leadId);
    expect(audit.map((a) => [a.action, a.detail['outcome']])).toEqual([
      ['lead.retry', 'failed'],
      ['lead.retry', 'succeeded'],
    ]);
    expect(audit[1]?.operator).toBe('ops-cli');

    const em = t.db.em();
    const failedRows = await em.find(FailedLeadSchema, {});
    expect(failedRows).toHaveLength(1);
    expect(failedRows[0]?.resolvedAt).toBeInstanceOf(Date);
    expect(failedRows[0]?.attempts).toBe(5);
    const succeededRows = await em.find(SucceededLeadSchema, {});
    expect(succeededRows).toHaveLength(1);
    expect(succeededRows[0]).toMatchObject({ id: leadId, leadData: extraction.lead, channel: 'voice', npaResponse: { status: 'accepted', id: npa.accepted.get(leadId)?.id } });
    expect(succeededRows[0]?.session?.id).toBe(sessionId);

    // Every request NPA saw carried the one key, and NPA holds the lead once.
    expect(npa.requests).toHaveLength(5);
    expect(new Set(npa.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([leadId]));
    expect(npa.accepted.size).toBe(1);
    expect((await store.sessions.get(sessionId ?? ''))?.state).toMatchObject({ outcome: 'succeeded', leadId });

    const nothingLeft = await runLeads(['failed', 'list'], cliEnv);
    expect(nothingLeft.stdout.trim()).toBe('no unresolved failed leads');
    const succeeded = await runLeads(['succeeded', 'list', '--json', '--since', new Date(Date.now() - 60_000).toISOString()], cliEnv);
    expect((JSON.parse(succeeded.stdout) as { id: string }[]).map((r) => r.id)).toEqual([leadId]);
    const again = await runLeads(['failed', 'retry', leadId], cliEnv);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already-resolved');
    expect(await em.count(SucceededLeadSchema, {})).toBe(1);
  });

  it('retry --all skips incomplete leads and exits 0 when nothing failed', async () => {
    const client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', logger: t.logger });
    const incomplete: ExtractionResult = { ...extraction, lead: { ...extraction.lead, phone: null }, complete: false, missing: ['phone'] };
    const { intake } = leadStack(t.db, client, t.logger);
    const leadId = randomUUID();
    const refusal = refusalFor(incomplete);
    await intake.submit({ id: leadId, channel: 'sms', externalId: 'x', lead: incomplete.lead, ...(refusal ? { refusal } : {}), sessionKey: 'sms-x', sessionState: {} });
    const all = await runLeads(['failed', 'retry', '--all'], cliEnv);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`${leadId}  skipped: lead is incomplete: missing phone`);
    const one = await runLeads(['failed', 'retry', leadId], cliEnv);
    expect(one.code).toBe(1);
    expect(one.stdout).toContain('refused: lead is incomplete: missing phone (use --force');
    const shown = await runLeads(['failed', 'show', leadId], cliEnv);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/problems\s+missing phone/);
  });
});
