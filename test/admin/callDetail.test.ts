import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationDetail, timelineOf } from '../../src/admin/callDetail.js';
import { DEMO_CALLS } from '../../src/demo/demoCalls.js';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { decideNow } from '../../src/extraction/fieldVote.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Lead } from '../../src/leads/lead.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { retryFailedLead } from '../../src/outbox/retryFailedLeads.js';
import { leadStack } from '../support/leadStack.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const call = DEMO_CALLS[0]!;

describe('the detail of a call placed through the real server', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  let leadId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
    const { output } = await placeScriptedCall(lab, { callSid: call.callSid, from: call.from, script: call.script });
    expect(output.outcome).toBe('succeeded');
    leadId = output.leadId;
    // The recording is stored as the call ends; wait for its row rather than race it.
    for (let i = 0; i < 100 && (await lab.app.repos.recordings.forCall(call.callSid)) === null; i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('summary, numbered transcript, recording, quality record and the phases in order', async () => {
    const detail = await conversationDetail(lab.app.repos, call.callSid);
    expect(detail).not.toBeNull();
    const d = detail!;
    const session = await lab.app.repos.sessions.getByKey(call.callSid);
    expect(d.session).toMatchObject({
      sessionId: session?.id,
      sessionKey: call.callSid,
      callSid: call.callSid,
      channel: 'voice',
      phase: 'saved-success',
      outcome: 'succeeded',
      leadId,
      callerPhone: call.from,
      name: 'John Carter',
      hasRecording: true,
      endReason: 'goodbye',
    });
    expect(d.session.startedAt).toBe(session?.createdAt.toISOString());
    expect(d.session.greetingMs).toBe(d.quality?.waits.greetingMs);
    expect(d.session.durationMs).toBe(d.quality?.durationMs);

    const stored = (session?.state as { transcript: Array<{ role: string; text: string }> }).transcript;
    expect(d.transcript).toHaveLength(stored.length);
    expect(d.transcript[0]).toEqual({ index: 0, speaker: 'agent', role: 'assistant', text: stored[0]?.text, startMs: expect.any(Number) });
    expect(d.transcript[1]).toMatchObject({ index: 1, speaker: 'caller', text: 'Hi, yeah, my name is John Carter.' });
    // Each turn knows where it begins in the recording (the player seeks there), in the order they were said.
    const starts = d.transcript.map((t) => t.startMs);
    expect(starts.every((ms) => typeof ms === 'number' && ms >= 0)).toBe(true);
    expect(starts.slice(1).every((ms, i) => (ms as number) >= (starts[i] as number))).toBe(true);
    expect(starts.at(-1)).toBeGreaterThan(0);

    expect(d.recordings).toEqual([expect.objectContaining({ kind: 'call', status: 'complete', callSid: call.callSid, channels: 2, deletedAt: null })]);
    expect(d.quality?.outcome).toBe('succeeded');
    expect(d.captured?.full_name?.value).toBe('John Carter');

    // The statechart replay: entered in time order, from the first phase to the final one.
    const phases = d.timeline.map((s) => s.state);
    expect(phases.at(-1)).toBe('saved-success');
    expect(phases.slice(0, 2)).toEqual(['connecting', 'streaming']);
    expect(phases).toEqual(['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-success']);
    const times = d.timeline.map((s) => Date.parse(s.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('the lead: the vote per field, the NPA request as the fake received it, its answer and the outbox row', async () => {
    const d = (await conversationDetail(lab.app.repos, call.callSid))!;
    const lead = d.lead!;
    expect(lead).toMatchObject({ leadId, status: 'succeeded', channel: 'voice', externalId: call.callSid, data: { full_name: 'John Carter', zip_code: '30093' } });
    expect(lead.votes.map((v) => v.field)).toEqual(['full_name', 'zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model']);
    const name = lead.votes[0]!;
    expect(name).toMatchObject({ value: 'John Carter', disputed: false });
    expect(name.witnesses.map((w) => w.witness)).toEqual(['live', 'llm', 'offline']);
    expect(name.witnesses.every((w) => w.value === 'John Carter')).toBe(true);
    expect(lead.decision).toMatchObject({ review: 'none', disputed: [] });

    const sent = lab.npa.requests.find((r) => r.headers['idempotency-key'] === leadId);
    expect(lead.npa.request).toEqual({ method: 'POST', path: '/leads', idempotencyKey: leadId, body: sent?.body, sent: true });
    const succeeded = await lab.app.repos.succeeded.get(leadId);
    expect(lead.npa.answer).toEqual({ kind: 'accepted', at: succeeded?.createdAt.toISOString(), response: succeeded?.npaResponse });
    expect(lead.outbox.row).toMatchObject({ id: leadId, kind: 'new', status: 'succeeded', attempts: 1, npaAttempts: 1, lastError: null, externalId: call.callSid });
    expect(lead.outbox.row?.finishedAt).not.toBeNull();
    expect(lead.outbox.retries).toEqual([]);
    expect(lead.failed).toBeNull();
  });

  it('by session id as by key; an unknown id or key is null', async () => {
    const byKey = await conversationDetail(lab.app.repos, call.callSid);
    expect(await conversationDetail(lab.app.repos, byKey!.session.sessionId)).toEqual(byKey);
    expect(await conversationDetail(lab.app.repos, randomUUID())).toBeNull();
    expect(await conversationDetail(lab.app.repos, 'CAnosuchcall')).toBeNull();
  });
});

const lead: Lead = {
  full_name: 'Dana Whitaker',
  zip_code: '30093',
  phone: '+14045550141',
  vehicle_year: 2019,
  vehicle_make: 'Polaris',
  vehicle_model: 'RZR XP 1000',
};

describe('the detail of leads the NPA API refused, and of one never sent', () => {
  let t: TestDatabase;
  let npa: FakeNpa;
  let stack: ReturnType<typeof leadStack>;

  beforeAll(async () => {
    [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
    const client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 2_000, maxAttempts: 1, logger: t.logger });
    stack = leadStack(t.db, client, t.logger, { maxAttempts: 1 });
  });
  afterAll(async () => {
    await Promise.all([t?.close(), npa?.close()]);
  });

  const submit = (options: { refusal?: string } = {}) => {
    const id = randomUUID();
    const callSid = `CA${randomUUID().replace(/-/g, '')}`;
    const submission = {
      id,
      channel: 'voice' as const,
      externalId: callSid,
      lead,
      decision: decideNow({ offline: lead }),
      sessionKey: callSid,
      sessionState: { callSid, callerPhone: '+14045550100', leadId: id, phase: 'saved-failure', transcript: [{ role: 'user' as const, text: 'Dana Whitaker' }] },
      ...options,
    };
    return { id, callSid, outcome: stack.intake.submit(submission) };
  };

  it('a refusal, a retry that fails again, then one that goes: each answer, the attempts and the retries', async () => {
    npa.failNext(1, 400);
    const { id, callSid, outcome } = submit();
    expect((await outcome).outcome).toBe('failed');
    const first = (await conversationDetail(stack.repos, callSid))!.lead!;
    expect(first).toMatchObject({ status: 'failed', failed: { reason: 'NPA API error: 400 Bad Request', attempts: 1 } });
    expect(first.npa.request).toMatchObject({ idempotencyKey: id, sent: true, body: { external_id: callSid, first_name: 'Dana', last_name: 'Whitaker' } });
    expect(first.npa.answer).toMatchObject({ kind: 'failed', error: 'NPA API error: 400 Bad Request', attempts: 1, resolvedAt: null });
    expect(first.outbox.row).toMatchObject({ status: 'failed', attempts: 1, npaAttempts: 1, lastError: 'NPA API error: 400 Bad Request' });

    const deps = { repos: stack.repos, outbox: stack.outbox, logger: t.logger };
    npa.failNext(1, 422);
    expect((await retryFailedLead(deps, id)).outcome).toBe('failed');
    const second = (await conversationDetail(stack.repos, callSid))!.lead!;
    expect(second.outbox.retries).toEqual([expect.objectContaining({ attempts: 1, reason: expect.stringContaining('422') })]);
    expect(second.outbox.row).toMatchObject({ kind: 'retry', status: 'failed' });
    expect(second.npa.answer).toMatchObject({ kind: 'failed', attempts: 2, error: expect.stringContaining('422') });

    expect((await retryFailedLead(deps, id)).outcome).toBe('succeeded');
    const third = (await conversationDetail(stack.repos, callSid))!.lead!;
    expect(third.status).toBe('succeeded');
    expect(third.npa.answer).toMatchObject({ kind: 'accepted', response: expect.any(Object) });
    expect(third.failed?.resolvedAt).not.toBeNull();
    expect(third.outbox.retries).toHaveLength(1);
  });

  it('a lead refused before sending: the request it would have been, not sent, and why', async () => {
    const requestsBefore = npa.requests.length;
    const { id, callSid, outcome } = submit({ refusal: 'not sent: the ZIP code is outside the service area' });
    expect((await outcome).outcome).toBe('failed');
    const detail = (await conversationDetail(stack.repos, callSid))!;
    expect(detail.session).toMatchObject({ outcome: 'failed', reason: 'not sent: the ZIP code is outside the service area', hasRecording: false });
    expect(detail.lead).toMatchObject({ leadId: id, status: 'failed', outbox: { row: null, retries: [] } });
    expect(detail.lead?.npa.request).toMatchObject({ sent: false, idempotencyKey: id });
    expect(detail.lead?.npa.answer).toEqual({ kind: 'not-sent', reason: 'not sent: the ZIP code is outside the service area' });
    expect(npa.requests.length).toBe(requestsBefore);
    // No quality record, no timings: nulls and empties, not errors.
    expect(detail).toMatchObject({ quality: null, recordings: [], timeline: [], voicemail: { recording: null, status: null } });
  });
});

describe('the detail of an SMS conversation', () => {
  let t: TestDatabase;
  let npa: FakeNpa;

  beforeAll(async () => {
    [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), npa?.close()]);
  });

  it('its texts as the transcript, no call parts, its lead delivered', async () => {
    const client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 2_000, maxAttempts: 1, logger: t.logger });
    const { repos, intake } = leadStack(t.db, client, t.logger, { maxAttempts: 1 });
    const id = randomUUID();
    const key = `sms:${id}`;
    const texts = [
      { role: 'user' as const, text: 'Hi, I want to sell my bike' },
      { role: 'assistant' as const, text: "Great! What's your full name?" },
    ];
    await intake.submit({ id, channel: 'sms', externalId: key, lead, decision: decideNow({ offline: lead }), sessionKey: key, sessionState: { phase: 'done', phone: '+16785550122', leadId: id, fields: lead, transcript: texts } });
    const detail = (await conversationDetail(repos, key))!;
    expect(detail.session).toMatchObject({ channel: 'sms', callSid: null, sessionKey: key, outcome: 'succeeded', callerPhone: '+16785550122', name: 'Dana Whitaker', endReason: null });
    expect(detail.transcript.map((l) => [l.index, l.speaker])).toEqual([
      [0, 'caller'],
      [1, 'agent'],
    ]);
    expect(detail).toMatchObject({ quality: null, captured: null, extraction: null, timeline: [], recordings: [] });
    expect(detail.lead).toMatchObject({ leadId: id, status: 'succeeded', channel: 'sms', externalId: key, npa: { request: { body: { channel: 'sms', external_id: key } }, answer: { kind: 'accepted' } } });
    expect(npa.requests.at(-1)?.body).toEqual(detail.lead?.npa.request?.body);
  });
});

describe('timelineOf', () => {
  it('orders the phases by when they were entered and leaves out unreadable times', () => {
    expect(
      timelineOf({ 'saved-success': '2026-12-01T10:00:09.000Z', connecting: '2026-12-01T10:00:00.000Z', talking: '2026-12-01T10:00:01.000Z', bad: 'nope' }),
    ).toEqual([
      { state: 'connecting', at: '2026-12-01T10:00:00.000Z' },
      { state: 'talking', at: '2026-12-01T10:00:01.000Z' },
      { state: 'saved-success', at: '2026-12-01T10:00:09.000Z' },
    ]);
    expect(timelineOf(undefined)).toEqual([]);
  });
});
