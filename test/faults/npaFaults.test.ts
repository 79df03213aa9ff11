import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sampleCall } from '../security/sampleCall.js';
import { finalRow, placeCall, SAMPLE_LEAD, sessionState, startFaultLab } from './faultLab.js';

/** Full calls through the real server while the NPA API fails on cue. Each ends with exactly one row. */
describe('fault injection: NPA lead API', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  const script = scriptFromTranscript(sampleCall());

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startFaultLab(database);
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  const accepted = () => lab.npa.accepted.size;

  it('a transient 500: retried under the same Idempotency-Key, accepted once, one succeeded row', async () => {
    lab.npa.setMode('ok');
    lab.npa.failNext(1, 500);
    const before = accepted();
    const { output, caller } = await placeCall(lab, 'CAnpa0000000000000000000000000001', script);
    expect(caller.received.media.length).toBeGreaterThan(0);
    const row = await finalRow(lab, output.leadId);
    expect(row).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    expect(accepted()).toBe(before + 1);
    const keys = lab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    await sessionState(lab, 'CAnpa0000000000000000000000000001', 'succeeded');
  });

  it('retryable 503s past one pass: the call reports it pending, a later worker pass delivers it, once', async () => {
    lab.npa.setMode('ok');
    // The earlier tests' leads are all delivered first: a late request of theirs must not take one of the 503s.
    for (let i = 0; i < 100 && (await lab.app.repos.outbox.countPending()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    // One pass makes NPA_MAX_ATTEMPTS (2) requests: both 503, so the lead waits in the outbox for the next pass.
    lab.npa.failNext(2, 503);
    const callSid = 'CAnpa0000000000000000000000000007';
    const { output } = await placeCall(lab, callSid, script);
    expect(output.outcome).toBe('failed');
    expect(output.reason).toMatch(/^submission pending: NPA API error: 503 Service Unavailable; the outbox will (retry|finish) it$/);
    const row = await finalRow(lab, output.leadId);
    expect(row).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    await sessionState(lab, callSid, 'succeeded');
    expect(lab.npa.accepted.has(output.leadId)).toBe(true);
    expect(lab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId).length).toBeGreaterThanOrEqual(3);
  });

  it('a persistent 500: a failed row with the API’s error, the lead complete and kept for retry', async () => {
    lab.npa.setMode('fail-500');
    const { output, caller } = await placeCall(lab, 'CAnpa0000000000000000000000000002', script);
    expect(caller.received.media.length).toBeGreaterThan(0);
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(/NPA API error: 500/);
    expect(row.lead).toMatchObject(SAMPLE_LEAD);
    const state = await sessionState(lab, 'CAnpa0000000000000000000000000002', 'failed');
    expect(state.leadId).toBe(output.leadId);
  });

  it('a timeout: a failed row saying so', async () => {
    lab.npa.setMode('timeout');
    const { output } = await placeCall(lab, 'CAnpa0000000000000000000000000003', script);
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(/time(d)? ?out/i);
    expect(row.lead).toMatchObject(SAMPLE_LEAD);
  });

  it('a 401: not retried, a failed row with the status, and no credential in the reason', async () => {
    lab.npa.setMode('unauthorized');
    const sent = lab.npa.requests.length;
    const { output } = await placeCall(lab, 'CAnpa0000000000000000000000000004', script);
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(/NPA API error: 401/);
    expect(row.reason).not.toMatch(/lab-secret|Basic /);
    expect(lab.npa.requests.length - sent).toBe(1);
  });

  it('a slow API within the timeout: one succeeded row', async () => {
    lab.npa.setMode('slow', { slowMs: 250 });
    const before = accepted();
    const { output } = await placeCall(lab, 'CAnpa0000000000000000000000000005', script);
    const row = await finalRow(lab, output.leadId);
    expect(row).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    expect(accepted()).toBe(before + 1);
  });

  it('lost nothing: every call has exactly one row, and every row its session', async () => {
    lab.npa.setMode('ok');
    const succeeded = await lab.app.repos.succeeded.list();
    const failed = await lab.app.repos.failed.list({ includeResolved: true });
    expect(succeeded.length + failed.length).toBe(6);
    expect(new Set([...succeeded, ...failed].map((r) => r.id)).size).toBe(6);
    for (const row of [...succeeded, ...failed]) expect(row.sessionId).not.toBeNull();
  });
});
