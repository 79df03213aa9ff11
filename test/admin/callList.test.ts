import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationFilterSchema, listConversations, type ConversationRow } from '../../src/admin/callList.js';
import { ConversationQueries } from '../../src/db/conversationQueries.js';
import type { Repositories } from '../../src/db/repositories.js';
import type { VoicePatch } from '../../src/db/entities/sessionState.js';
import { BadInputError } from '../../src/errors.js';
import { decideNow } from '../../src/extraction/fieldVote.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Lead } from '../../src/leads/lead.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { leadStack } from '../support/leadStack.js';
import { qualityRecord } from '../support/qualityRecord.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const leadOf = (name: string, phone: string): Lead => ({
  full_name: name,
  zip_code: '30093',
  phone,
  vehicle_year: 2019,
  vehicle_make: 'Polaris',
  vehicle_model: 'RZR XP 1000',
});

let t: TestDatabase;
let npa: FakeNpa;
let stack: ReturnType<typeof leadStack>;
let repos: Repositories;
let queries: ConversationQueries;
/** Between the first three conversations and the last three. */
let mid: Date;
const keys: Record<string, string> = {};

const sid = () => `CA${randomUUID().replace(/-/g, '')}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A call's session as the call writes it (phase, caller, fields, quality), then its lead through the intake. */
async function voiceCall(name: string, state: VoicePatch, lead?: { lead: Lead; send: boolean; refusal?: string }): Promise<string> {
  const callSid = sid();
  keys[name] = callSid;
  const leadId = randomUUID();
  await repos.sessions.open({ channel: 'voice', sessionKey: callSid, state: { callSid, leadId, instanceId: 'test', ...state } });
  if (lead !== undefined) {
    const submission = {
      id: leadId,
      channel: 'voice' as const,
      externalId: callSid,
      lead: lead.lead,
      decision: decideNow({ offline: lead.lead }),
      sessionKey: callSid,
      sessionState: { callSid, leadId },
      ...(lead.refusal === undefined ? {} : { refusal: lead.refusal }),
    };
    if (lead.send) await stack.intake.submit(submission);
    else await stack.intake.accept(submission);
  }
  return callSid;
}

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  const client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 2_000, maxAttempts: 1, logger: t.logger });
  stack = leadStack(t.db, client, t.logger, { maxAttempts: 1, reviewPolicy: 'hold' });
  repos = stack.repos;
  queries = new ConversationQueries(t.db);

  const dana = leadOf('Dana Whitaker', '+14045550141');
  await voiceCall(
    'succeeded',
    { phase: 'saved-success', callerPhone: '+14045550141', fields: dana, quality: qualityRecord({ durationMs: 61_000, bargeIns: 1, waits: { greetingMs: 800, responseMs: [900, 300, 500] } }) },
    { lead: dana, send: true },
  );
  await repos.recordings.save({ callSid: keys['succeeded']!, kind: 'call', status: 'complete', store: 'directory', key: 'a.wav', durationMs: 61_000, bytes: 100, channels: 2, sampleRate: 8000, format: 'pcm_s16le' });
  npa.failNext(1, 400);
  await voiceCall(
    'failed',
    // The reading has no name: the live capture's is shown.
    { phase: 'saved-failure', callerPhone: '+17705550183', fields: { ...leadOf('Marcus Lee', '+16785550199'), full_name: null }, captured: { full_name: { value: 'Marcus Lee', at: new Date().toISOString(), attempts: 1 } }, quality: qualityRecord({ outcome: 'failed' }) },
    { lead: leadOf('Marcus Lee', '+16785550199'), send: true },
  );
  await voiceCall('live', { phase: 'streaming', callerPhone: '+19125550100' });
  await pause(30);
  mid = new Date();
  await pause(30);
  await voiceCall('lost', { phase: 'saved-failure', callerPhone: '+19125550177', lostReason: 'could not record the lead: database down', quality: qualityRecord({ outcome: 'lost' }) });
  await voiceCall('pending', { phase: 'submitting', callerPhone: '+19125550188' }, { lead: leadOf('Pat Doe', '+19125550188'), send: false });
  // An SMS conversation held for review: its witnesses disagree on the phone.
  const smsLead = randomUUID();
  keys['review'] = `sms:${smsLead}`;
  const ana = leadOf('Ana Ruiz', '+16785550122');
  const decision = decideNow({ live: { phone: { value: '+16785550122', at: new Date().toISOString(), attempts: 1 } }, offline: { ...ana, phone: '+16785559999' } });
  await stack.intake.submit({
    id: smsLead,
    channel: 'sms',
    externalId: keys['review'],
    lead: decision.lead,
    decision,
    sessionKey: keys['review'],
    sessionState: { phase: 'done', phone: '+16785550122', leadId: smsLead, fields: ana, transcript: [] },
  });
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});

const list = (filter: Parameters<typeof listConversations>[1] = {}) => listConversations(queries, filter);
const keysOf = (rows: ConversationRow[]) => rows.map((r) => r.sessionKey);

describe('listConversations', () => {
  it('every conversation, newest first, voice and SMS, each with how it ended and the waits', async () => {
    const page = await list();
    expect(page.total).toBe(6);
    expect(keysOf(page.rows)).toEqual(['review', 'pending', 'lost', 'live', 'failed', 'succeeded'].map((k) => keys[k]));
    const succeeded = page.rows.find((r) => r.sessionKey === keys['succeeded'])!;
    const session = await repos.sessions.getByKey(keys['succeeded']!);
    expect(succeeded).toEqual({
      sessionId: session?.id,
      sessionKey: keys['succeeded'],
      callSid: keys['succeeded'],
      channel: 'voice',
      startedAt: session?.createdAt.toISOString(),
      durationMs: 61_000,
      phase: 'saved-success',
      outcome: 'succeeded',
      reason: null,
      leadId: (session?.state as { leadId: string }).leadId,
      callerPhone: '+14045550141',
      name: 'Dana Whitaker',
      greetingMs: 800,
      responseP50Ms: 500,
      bargeIns: 1,
      hasRecording: true,
    });
    expect(page.rows.map((r) => [r.sessionKey, r.outcome])).toEqual([
      [keys['review'], 'review'],
      [keys['pending'], 'pending'],
      [keys['lost'], 'lost'],
      [keys['live'], 'live'],
      [keys['failed'], 'failed'],
      [keys['succeeded'], 'succeeded'],
    ]);
    const failed = page.rows.find((r) => r.sessionKey === keys['failed'])!;
    expect(failed).toMatchObject({ name: 'Marcus Lee', reason: 'NPA API error: 400 Bad Request', hasRecording: false });
    expect(page.rows.find((r) => r.sessionKey === keys['lost'])?.reason).toBe('could not record the lead: database down');
    const sms = page.rows.find((r) => r.channel === 'sms')!;
    expect(sms).toMatchObject({ callSid: null, callerPhone: '+16785550122', name: 'Ana Ruiz', durationMs: null, greetingMs: null, responseP50Ms: null, bargeIns: null });
    const live = page.rows.find((r) => r.sessionKey === keys['live'])!;
    expect(live).toMatchObject({ phase: 'streaming', leadId: expect.any(String), name: null, durationMs: null });
    expect(JSON.parse(JSON.stringify(page))).toEqual(page);
  });

  it('searches by phone digits in any form, by part of the name (any case), by part of the CallSid', async () => {
    expect(keysOf((await list({ q: '(404) 555-0141' })).rows)).toEqual([keys['succeeded']]);
    expect(keysOf((await list({ q: '770 555' })).rows)).toEqual([keys['failed']]);
    // The lead's callback number counts too, not only the caller ID.
    expect(keysOf((await list({ q: '6785550199' })).rows)).toEqual([keys['failed']]);
    expect(keysOf((await list({ q: '912555' })).rows)).toEqual([keys['pending'], keys['lost'], keys['live']]);
    expect(keysOf((await list({ q: 'dana WHIT' })).rows)).toEqual([keys['succeeded']]);
    expect(keysOf((await list({ q: 'marcus' })).rows)).toEqual([keys['failed']]);
    expect(keysOf((await list({ q: 'ruiz' })).rows)).toEqual([keys['review']]);
    expect(keysOf((await list({ q: keys['live']!.slice(4, 16) })).rows)).toEqual([keys['live']]);
    // LIKE's own characters are taken literally.
    expect((await list({ q: '%' })).total).toBe(0);
    expect((await list({ q: '_' })).total).toBe(0);
  });

  it('filters by time, channel and outcome, and pages with the total of all pages', async () => {
    expect(keysOf((await list({ from: mid })).rows)).toEqual(['review', 'pending', 'lost'].map((k) => keys[k]));
    expect(keysOf((await list({ to: mid })).rows)).toEqual(['live', 'failed', 'succeeded'].map((k) => keys[k]));
    expect(keysOf((await list({ channel: 'sms' })).rows)).toEqual([keys['review']]);
    expect((await list({ channel: 'voice' })).total).toBe(5);
    for (const outcome of ['succeeded', 'failed', 'review', 'pending', 'lost', 'live'] as const) {
      expect(keysOf((await list({ outcome })).rows), outcome).toEqual([keys[outcome]]);
    }
    expect(keysOf((await list({ channel: 'voice', q: '912', outcome: 'live', to: mid })).rows)).toEqual([keys['live']]);
    const first = await list({ limit: 4 });
    const second = await list({ limit: 4, offset: 4 });
    expect([first.total, second.total]).toEqual([6, 6]);
    expect([...keysOf(first.rows), ...keysOf(second.rows)]).toEqual(keysOf((await list()).rows));
    expect((await list({ offset: 100 })).rows).toEqual([]);
  });

  it('takes the query string as strings (an empty value is absent) and refuses what does not parse', async () => {
    const fromQuery = Object.fromEntries(new URLSearchParams(`q=&from=${mid.toISOString()}&channel=voice&outcome=&limit=1&offset=1`));
    expect(ConversationFilterSchema.parse(fromQuery)).toEqual({ from: mid, channel: 'voice', limit: 1, offset: 1 });
    expect(keysOf((await list(fromQuery)).rows)).toEqual([keys['lost']]);
    expect(ConversationFilterSchema.parse({})).toEqual({ limit: 50, offset: 0 });
    for (const bad of [{ limit: '500' }, { limit: '0' }, { offset: '-1' }, { outcome: 'bogus' }, { channel: 'fax' }, { from: 'not a date' }, { from: mid, to: mid }]) {
      await expect(list(bad), JSON.stringify(bad)).rejects.toBeInstanceOf(BadInputError);
    }
    await expect(list({ limit: '500' })).rejects.toThrow(/limit/);
  });
});
