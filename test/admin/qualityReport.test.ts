import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qualityReport, type VolumeBucket } from '../../src/admin/qualityReport.js';
import { ConversationQueries } from '../../src/db/conversationQueries.js';
import type { Repositories } from '../../src/db/repositories.js';
import type { SessionPatch, VoicePatch } from '../../src/db/entities/sessionState.js';
import { BadInputError } from '../../src/errors.js';
import { decideNow } from '../../src/extraction/fieldVote.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Lead } from '../../src/leads/lead.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { leadStack } from '../support/leadStack.js';
import { qualityRecord } from '../support/qualityRecord.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const HOUR_MS = 3_600_000;
const lead: Lead = {
  full_name: 'Dana Whitaker',
  zip_code: '30093',
  phone: '+14045550141',
  vehicle_year: 2019,
  vehicle_make: 'Polaris',
  vehicle_model: 'RZR XP 1000',
};
const field = (attempts: number) => ({ attempts, attemptsFrom: 'asked' as const, readBackCorrected: false, agreement: 'agreed' as const });

let t: TestDatabase;
let npa: FakeNpa;
let stack: ReturnType<typeof leadStack>;
let repos: Repositories;
let queries: ConversationQueries;

/** A call's session as the call writes it at its end, and its lead through the intake (`refusal`, `disputed`). */
async function call(state: VoicePatch, leadOptions?: { refusal?: string; disputed?: boolean }): Promise<void> {
  const callSid = `CA${randomUUID().replace(/-/g, '')}`;
  const id = randomUUID();
  await repos.sessions.open({ channel: 'voice', sessionKey: callSid, state: { callSid, leadId: id, ...state } });
  if (leadOptions === undefined) return;
  const decision = leadOptions.disputed
    ? decideNow({ live: { phone: { value: lead.phone as string, at: new Date().toISOString(), attempts: 1 } }, offline: { ...lead, phone: '+14045559999' } })
    : decideNow({ offline: lead });
  await stack.intake.submit({
    id,
    channel: 'voice',
    externalId: callSid,
    lead: decision.lead,
    decision,
    sessionKey: callSid,
    sessionState: { callSid, leadId: id },
    ...(leadOptions.refusal === undefined ? {} : { refusal: leadOptions.refusal }),
  });
}

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  const client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 2_000, maxAttempts: 1, logger: t.logger });
  stack = leadStack(t.db, client, t.logger, { maxAttempts: 1, reviewPolicy: 'hold' });
  repos = stack.repos;
  queries = new ConversationQueries(t.db);

  await call(
    { phase: 'saved-success', quality: qualityRecord({ waits: { greetingMs: 800, responseMs: [100, 200] }, fields: { phone: field(2), zip_code: field(1) } }) },
    {},
  );
  await call(
    {
      phase: 'saved-failure',
      quality: qualityRecord({ outcome: 'failed', waits: { greetingMs: 1000, responseMs: [300], bargeInMs: [40] }, fields: { phone: field(3), full_name: field(2) } }),
    },
    { refusal: 'not sent: the ZIP code is outside the service area' },
  );
  await call(
    { phase: 'saved-review', quality: qualityRecord({ outcome: 'review', waits: { greetingMs: 1200, responseMs: [600, 400, 500], bargeInMs: [60] }, fields: { zip_code: field(1) } }) },
    { disputed: true },
  );
  await call({ phase: 'saved-failure', lostReason: 'could not record the lead: database down', quality: qualityRecord({ outcome: 'lost', waits: { greetingMs: null, responseMs: [], goodbyeMs: null } }) });
  // A call still under way: counted, no outcome, no record yet.
  await call({ phase: 'streaming' });
  // A record that does not parse (an older shape): the call counts, its record is left out.
  await call({ phase: 'saved-success', quality: { durationMs: 'long' } } as unknown as VoicePatch);
  // An SMS conversation is no call; its lead counts in the review rate.
  const smsId = randomUUID();
  await stack.intake.submit({
    id: smsId,
    channel: 'sms',
    externalId: `sms:${smsId}`,
    lead,
    decision: decideNow({ offline: lead }),
    sessionKey: `sms:${smsId}`,
    sessionState: { phase: 'done', phone: '+16785550122', leadId: smsId } satisfies SessionPatch,
  });
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});

const sum = (buckets: VolumeBucket[]) =>
  buckets.reduce(
    (acc, b) => ({
      calls: acc.calls + b.calls,
      succeeded: acc.succeeded + b.outcomes.succeeded,
      failed: acc.failed + b.outcomes.failed,
      review: acc.review + b.outcomes.review,
      pending: acc.pending + b.outcomes.pending,
      lost: acc.lost + b.outcomes.lost,
    }),
    { calls: 0, succeeded: 0, failed: 0, review: 0, pending: 0, lost: 0 },
  );

describe('qualityReport', () => {
  it('by default the 7 days up to now: every hour and day of it, the calls and their outcomes', async () => {
    const now = new Date();
    const report = await qualityReport(queries, { now });
    expect(report.to).toBe(now.toISOString());
    expect(report.from).toBe(new Date(now.getTime() - 7 * 24 * HOUR_MS).toISOString());
    // Contiguous UTC hours from the one `from` falls in to the one `to` falls in.
    const hours = report.perHour.map((b) => Date.parse(b.at));
    expect(hours[0]).toBe(Math.floor(Date.parse(report.from) / HOUR_MS) * HOUR_MS);
    expect(hours.every((h, i) => i === 0 || h - hours[i - 1]! === HOUR_MS)).toBe(true);
    expect(hours.at(-1)).toBe(Math.floor((now.getTime() - 1) / HOUR_MS) * HOUR_MS);
    expect(report.perDay.length).toBeGreaterThanOrEqual(7);
    expect(report.perDay.length).toBeLessThanOrEqual(8);
    expect(report.perDay.every((b) => b.at.endsWith('T00:00:00.000Z'))).toBe(true);
    const expected = { calls: 6, succeeded: 1, failed: 1, review: 1, pending: 0, lost: 1 };
    expect(sum(report.perHour)).toEqual(expected);
    expect(sum(report.perDay)).toEqual(expected);
    // The calls sit in the hours they started in.
    const started = await t.db.em().execute<Array<{ created_at: Date }>>(`select created_at from conversation_sessions where channel = 'voice'`);
    const perHour = new Map<string, number>();
    for (const row of started) {
      const at = new Date(Math.floor(new Date(row.created_at).getTime() / HOUR_MS) * HOUR_MS).toISOString();
      perHour.set(at, (perHour.get(at) ?? 0) + 1);
    }
    expect(new Map(report.perHour.filter((b) => b.calls > 0).map((b) => [b.at, b.calls]))).toEqual(perHour);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("the waits' percentiles over the stored quality records", async () => {
    const { waits, callsWithQuality } = await qualityReport(queries, { now: new Date() });
    expect(callsWithQuality).toBe(4);
    expect(waits).toEqual({
      greetingMs: { count: 3, p50: 1000, p90: 1200, p99: 1200 },
      responseMs: { count: 6, p50: 300, p90: 600, p99: 600 },
      bargeInMs: { count: 2, p50: 40, p90: 60, p99: 60 },
      goodbyeMs: { count: 3, p50: 1200, p90: 1200, p99: 1200 },
      leadDeliveryMs: { count: 4, p50: 300, p90: 300, p99: 300 },
    });
  });

  it('the fields that most often needed a second attempt, most first, and the review rate', async () => {
    const report = await qualityReport(queries, { now: new Date() });
    expect(report.retriedFields).toEqual([
      { field: 'phone', calls: 2, share: 0.5 },
      { field: 'full_name', calls: 1, share: 0.25 },
      { field: 'zip_code', calls: 0, share: 0 },
      { field: 'vehicle_year', calls: 0, share: 0 },
      { field: 'vehicle_make', calls: 0, share: 0 },
      { field: 'vehicle_model', calls: 0, share: 0 },
    ]);
    const decided = await t.db.em().execute<Array<{ n: number }>>('select count(*)::int as n from lead_decisions');
    const leads = decided[0]!.n;
    expect(leads).toBeGreaterThanOrEqual(3);
    expect(report.reviewRate).toEqual({ leads, inReview: 1, open: 1, rate: 1 / leads });
  });

  it('a window of its own (query-string strings): only what started in it; empty hours are zeros', async () => {
    const later = new Date(Date.now() + 2 * HOUR_MS);
    const report = await qualityReport(queries, { from: new Date(Date.now() + HOUR_MS).toISOString(), to: later.toISOString() });
    expect(sum(report.perHour)).toEqual({ calls: 0, succeeded: 0, failed: 0, review: 0, pending: 0, lost: 0 });
    expect(report.waits.responseMs).toEqual({ count: 0, p50: null, p90: null, p99: null });
    expect(report.retriedFields.every((f) => f.calls === 0 && f.share === 0)).toBe(true);
    expect(report.reviewRate).toEqual({ leads: 0, inReview: 0, open: 0, rate: null });
    expect(report.callsWithQuality).toBe(0);
  });

  it('refuses a window that ends before it starts, spans over 31 days, or is not a date', async () => {
    const now = new Date();
    await expect(qualityReport(queries, { from: now, to: new Date(now.getTime() - 1) })).rejects.toBeInstanceOf(BadInputError);
    await expect(qualityReport(queries, { from: new Date(now.getTime() - 32 * 24 * HOUR_MS), to: now })).rejects.toThrow(/31 days/);
    await expect(qualityReport(queries, { from: 'yesterday' })).rejects.toBeInstanceOf(BadInputError);
  });
});
