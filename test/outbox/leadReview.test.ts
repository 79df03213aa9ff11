import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideNow, type LeadDecision } from '../../src/extraction/fieldVote.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { CapturedFields } from '../../src/leads/capturedFields.js';
import type { Lead } from '../../src/leads/lead.js';
import { createNpaClient, type NpaClient } from '../../src/npa/npaClient.js';
import { outcomeOf } from '../../src/outbox/leadIntake.js';
import { approvedLead, approveReview, candidatesOf, rejectReview, ReviewError } from '../../src/outbox/leadReview.js';
import { leadStack } from '../support/leadStack.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const lead: Lead = {
  full_name: 'Dana Whitaker',
  zip_code: '30093',
  phone: '+14045550141',
  vehicle_year: 2019,
  vehicle_make: 'Polaris',
  vehicle_model: 'RZR XP 1000',
};
const MISHEARD = '+14045559999';

let t: TestDatabase;
let npa: FakeNpa;
let client: NpaClient;

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 1_000, maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, logger: t.logger });
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});

/** A decision where the live capture heard the phone one way and the offline reading another: disputed. */
function disputedDecision(): LeadDecision {
  const live: CapturedFields = { phone: { value: lead.phone as string, at: new Date().toISOString(), attempts: 1 } };
  return decideNow({ live, offline: { ...lead, phone: MISHEARD } });
}

function stack(reviewPolicy: 'hold' | 'send') {
  const s = leadStack(t.db, client, t.logger, { maxAttempts: 1, reviewPolicy });
  return { ...s, deps: { repos: s.repos, outbox: s.outbox, logger: t.logger } };
}

async function submitDisputed(reviewPolicy: 'hold' | 'send') {
  const s = stack(reviewPolicy);
  const id = randomUUID();
  const sessionKey = `CA${randomUUID().replace(/-/g, '')}`;
  const decision = disputedDecision();
  const outcome = await s.intake.submit({
    id,
    channel: 'voice',
    externalId: sessionKey,
    lead: decision.lead,
    decision,
    sessionKey,
    sessionState: { callSid: sessionKey, callerPhone: '+14045550100', transcript: [{ role: 'user', text: 'five five five zero one four one' }] },
  });
  return { ...s, id, sessionKey, outcome };
}

describe('a disputed lead under REVIEW_POLICY=hold', () => {
  it('is held: no outbox row, never sent, the session reads review, the queue lists it with each witness', async () => {
    const { repos, id, sessionKey, outcome, outbox } = await submitDisputed('hold');
    expect(outcome).toEqual({ outcome: 'review', leadId: id, reason: 'held for review: the witnesses disagree on phone' });
    expect(await outbox.state(id)).toEqual({ status: 'review', disputed: ['phone'] });
    expect(await repos.outbox.status(t.db.em(), id)).toBeNull();
    expect(npa.accepted.has(id)).toBe(false);
    expect((await repos.sessions.getByKey(sessionKey))?.state).toMatchObject({ outcome: 'review', leadId: id });
    const queue = await repos.decisions.openReviews();
    const mine = queue.find((d) => d.id === id);
    expect(mine).toMatchObject({ review: 'held', disputed: ['phone'] });
    expect(candidatesOf(mine!)).toEqual({ phone: { live: lead.phone, offline: MISHEARD } });
    // The outbox's worker finds nothing of it to send.
    expect((await outbox.claimDue(100)).some((row) => row.id === id)).toBe(false);
  });

  it('a second accept of the same lead changes nothing (spool replay, sweep)', async () => {
    const s = await submitDisputed('hold');
    const again = await s.intake.store({ id: s.id, channel: 'voice', externalId: s.sessionKey, lead, decision: disputedDecision(), sessionKey: s.sessionKey, sessionState: {} });
    expect(again).toEqual({ status: 'review', disputed: ['phone'] });
  });

  it('approve needs a value for the field with no majority, and refuses a bad one, changing nothing', async () => {
    const s = await submitDisputed('hold');
    await expect(approveReview(s.deps, { id: s.id, set: {}, by: 'ops' })).rejects.toThrow(/disputed with no majority: phone; give each a value with --set/);
    await expect(approveReview(s.deps, { id: s.id, set: { phone: '12' }, by: 'ops' })).rejects.toBeInstanceOf(ReviewError);
    await expect(approveReview(s.deps, { id: s.id, set: { phone: lead.phone as string, colour: 'red' } as never, by: 'ops' })).rejects.toThrow(/unknown field colour/);
    expect(await s.outbox.state(s.id)).toEqual({ status: 'review', disputed: ['phone'] });
    expect(npa.accepted.has(s.id)).toBe(false);
  });

  it('approved with the value: normalized, sent once under its id, the session and the decision record it', async () => {
    const s = await submitDisputed('hold');
    const approved = await approveReview(s.deps, { id: s.id, set: { phone: '(404) 555-0141' }, by: 'ops' });
    expect(approved.lead.phone).toBe(lead.phone);
    expect(approved.state).toEqual({ status: 'succeeded' });
    expect(npa.accepted.get(s.id)?.body).toMatchObject({ phone: lead.phone });
    expect((await s.repos.sessions.getByKey(s.sessionKey))?.state).toMatchObject({ outcome: 'succeeded' });
    expect(await s.repos.decisions.get(s.id)).toMatchObject({ review: 'approved', decidedBy: 'ops', leadData: { phone: lead.phone } });
    // Audited with the decision: an edit, with the value the person gave.
    expect(await s.repos.audit.forLead(s.id)).toEqual([
      expect.objectContaining({ operator: 'ops', action: 'review.edit', detail: { set: { phone: '(404) 555-0141' }, sent: true } }),
    ]);
    // Approving again is refused: it was sent once.
    await expect(approveReview(s.deps, { id: s.id, set: { phone: lead.phone as string }, by: 'ops' })).rejects.toThrow(/already approved by ops/);
    expect(await s.repos.audit.forLead(s.id)).toHaveLength(1);
    expect((await s.repos.decisions.openReviews()).some((d) => d.id === s.id)).toBe(false);
  });

  it('rejected: a failed lead with the reason, never sent; a second decision is refused', async () => {
    const s = await submitDisputed('hold');
    expect(await rejectReview(s.deps, { id: s.id, reason: 'caller could not be reached to confirm', by: 'ops' })).toEqual({
      status: 'failed',
      reason: 'rejected in review: caller could not be reached to confirm',
    });
    expect(await s.outbox.state(s.id)).toEqual({ status: 'failed', reason: 'rejected in review: caller could not be reached to confirm' });
    expect((await s.repos.sessions.getByKey(s.sessionKey))?.state).toMatchObject({ outcome: 'failed' });
    expect(npa.accepted.has(s.id)).toBe(false);
    expect(await s.repos.audit.forLead(s.id)).toEqual([
      expect.objectContaining({ operator: 'ops', action: 'review.reject', detail: { reason: 'caller could not be reached to confirm' } }),
    ]);
    await expect(approveReview(s.deps, { id: s.id, set: { phone: lead.phone as string }, by: 'ops' })).rejects.toThrow(/already rejected/);
    await expect(rejectReview(s.deps, { id: s.id, reason: ' ', by: 'ops' })).rejects.toThrow(/needs --reason/);
  });

  it('an unknown id is not found', async () => {
    const s = stack('hold');
    await expect(approveReview(s.deps, { id: randomUUID(), set: {}, by: 'ops' })).rejects.toThrow(/no lead in review/);
  });
});

describe('a disputed lead under REVIEW_POLICY=send', () => {
  it('is sent at once with the majority values and still listed for review, flagged', async () => {
    const s = await submitDisputed('send');
    expect(s.outcome).toEqual({ outcome: 'succeeded', leadId: s.id });
    expect(npa.accepted.has(s.id)).toBe(true);
    expect(await s.repos.decisions.get(s.id)).toMatchObject({ review: 'sent', disputed: ['phone'] });
    expect((await s.repos.decisions.openReviews()).some((d) => d.id === s.id)).toBe(true);
    // Acknowledging it takes it off the queue; values cannot be changed after the fact.
    await expect(approveReview(s.deps, { id: s.id, set: { phone: lead.phone as string }, by: 'ops' })).rejects.toThrow(/already sent/);
    const ack = await approveReview(s.deps, { id: s.id, set: {}, by: 'ops' });
    expect(ack.sent).toBe(false);
    expect((await s.repos.decisions.openReviews()).some((d) => d.id === s.id)).toBe(false);
    expect(npa.accepted.size).toBeGreaterThan(0);
  });
});

describe('an undisputed lead', () => {
  it('goes straight to the outbox and keeps its provenance', async () => {
    const s = stack('hold');
    const id = randomUUID();
    const decision = decideNow({ live: {}, offline: lead });
    const outcome = await s.intake.submit({ id, channel: 'voice', externalId: 'CA-x', lead, decision, sessionKey: `k-${id}`, sessionState: {} });
    expect(outcome).toEqual(outcomeOf(id, { status: 'succeeded' }));
    expect(await s.repos.decisions.get(id)).toMatchObject({ review: 'none', disputed: [] });
  });
});

describe('approvedLead', () => {
  it('normalizes every value like any lead', () => {
    expect(approvedLead({ leadData: { ...lead, phone: null }, disputed: ['phone'] }, { phone: 'four oh four, five five five, zero one four one' }, null).phone).toBe(lead.phone);
    expect(approvedLead({ leadData: lead, disputed: ['phone'] }, { phone: 'CALLER_ID' }, '+14045550100').phone).toBe('+14045550100');
    expect(approvedLead({ leadData: lead, disputed: ['vehicle_year'] }, { vehicle_year: 'twenty nineteen' }, null).vehicle_year).toBe(2019);
    expect(() => approvedLead({ leadData: lead, disputed: ['zip_code'] }, { zip_code: '99501' }, null)).toThrow(/not a valid value for zip_code: the ZIP code is in Alaska/);
  });
});
