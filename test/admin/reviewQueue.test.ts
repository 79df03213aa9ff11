import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewQueue } from '../../src/admin/reviewQueue.js';
import { decideNow } from '../../src/extraction/fieldVote.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { CapturedFields } from '../../src/leads/capturedFields.js';
import type { Channel, Lead, Turn } from '../../src/leads/lead.js';
import { createNpaClient, type NpaClient } from '../../src/npa/npaClient.js';
import { approveReview } from '../../src/outbox/leadReview.js';
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
const transcript: Turn[] = [
  { role: 'assistant', text: "What's the best number to reach you?" },
  { role: 'user', text: 'four oh four, five five five, oh one four one' },
  { role: 'assistant', text: 'And the year, make and model?' },
  { role: 'user', text: 'A 2019 Polaris RZR XP 1000.' },
];

let t: TestDatabase;
let npa: FakeNpa;
let client: NpaClient;

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'psb', password: 'pw' })]);
  client = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 2_000, maxAttempts: 1, logger: t.logger });
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});

/** A lead whose live capture heard the phone one way and whose offline reading heard it another: disputed. */
async function submit(options: { policy: 'hold' | 'send'; channel?: Channel; disputed?: boolean }) {
  const stack = leadStack(t.db, client, t.logger, { maxAttempts: 1, reviewPolicy: options.policy });
  const id = randomUUID();
  const channel = options.channel ?? 'voice';
  const sessionKey = channel === 'voice' ? `CA${randomUUID().replace(/-/g, '')}` : `sms:${id}`;
  const live: CapturedFields = { phone: { value: lead.phone as string, at: new Date().toISOString(), attempts: 1 } };
  const decision = decideNow({ live, offline: options.disputed === false ? lead : { ...lead, phone: MISHEARD } });
  const sessionState =
    channel === 'voice' ? { callSid: sessionKey, callerPhone: '+17705550100', leadId: id, transcript } : { phone: '+17705550100', leadId: id, transcript };
  const outcome = await stack.intake.submit({ id, channel, externalId: sessionKey, lead: decision.lead, decision, sessionKey, sessionState });
  return { ...stack, id, sessionKey, outcome };
}

describe('the review queue', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // One at a time: the queue is oldest first.
    ids['held'] = (await submit({ policy: 'hold' })).id;
    ids['sent'] = (await submit({ policy: 'send' })).id;
    ids['sms'] = (await submit({ policy: 'hold', channel: 'sms' })).id;
    ids['clear'] = (await submit({ policy: 'hold', disputed: false })).id;
  });

  it('lists the disputed leads oldest first with its size and oldest time; an undisputed lead is not in it', async () => {
    const queue = await reviewQueue(leadStack(t.db, client, t.logger).repos);
    expect(queue.size).toBe(3);
    expect(queue.items.map((i) => i.leadId)).toEqual([ids['held'], ids['sent'], ids['sms']]);
    expect(queue.oldestAt).toBe(queue.items[0]?.createdAt);
    expect(queue.items.map((i) => i.review)).toEqual(['held', 'sent', 'held']);
    expect(JSON.parse(JSON.stringify(queue))).toEqual(queue);
  });

  it('each disputed field: every witness with its value, and the transcript lines where each was said', async () => {
    const { repos } = leadStack(t.db, client, t.logger);
    const item = (await reviewQueue(repos)).items.find((i) => i.leadId === ids['held'])!;
    const session = await repos.sessions.getByKey(item.sessionKey!);
    expect(item).toMatchObject({ sessionId: session?.id, callSid: item.sessionKey, channel: 'voice' });
    expect(item.disputed).toEqual([
      {
        field: 'phone',
        candidates: [
          { witness: 'live', value: lead.phone, lines: [1] },
          // Nothing the caller said carries the misheard number.
          { witness: 'offline', value: MISHEARD, lines: [] },
        ],
        lines: [{ index: 1, speaker: 'caller', text: 'four oh four, five five five, oh one four one' }],
      },
    ]);
  });

  it('an SMS conversation: no CallSid, its session key, the same lines from its texts', async () => {
    const { repos } = leadStack(t.db, client, t.logger);
    const item = (await reviewQueue(repos)).items.find((i) => i.leadId === ids['sms'])!;
    expect(item).toMatchObject({ channel: 'sms', callSid: null, sessionKey: `sms:${ids['sms']}` });
    expect(item.disputed[0]?.candidates[0]).toEqual({ witness: 'live', value: lead.phone, lines: [1] });
  });

  it('a limit cuts the items, not the size; an approved lead leaves the queue', async () => {
    const stack = leadStack(t.db, client, t.logger, { maxAttempts: 1 });
    const first = await reviewQueue(stack.repos, { limit: 1 });
    expect(first.size).toBe(3);
    expect(first.items.map((i) => i.leadId)).toEqual([ids['held']]);
    await approveReview({ repos: stack.repos, outbox: stack.outbox, logger: t.logger }, { id: ids['held']!, set: { phone: '404 555 0141' }, by: 'ops' });
    const after = await reviewQueue(stack.repos);
    expect(after.size).toBe(2);
    expect(after.items.map((i) => i.leadId)).toEqual([ids['sent'], ids['sms']]);
    expect(after.oldestAt).toBe(after.items[0]?.createdAt);
  });
});

describe('an empty review queue', () => {
  it('size 0, no oldest time, no items', async () => {
    const empty = await createTestDatabase();
    try {
      expect(await reviewQueue(leadStack(empty.db, client, empty.logger).repos)).toEqual({ size: 0, oldestAt: null, items: [] });
    } finally {
      await empty.close();
    }
  });
});
