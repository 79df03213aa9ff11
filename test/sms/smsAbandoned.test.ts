import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Repositories } from '../../src/db/repositories.js';
import { readSmsState } from '../../src/db/entities/sessionState.js';
import { SMS_ABANDONED_REASON } from '../../src/leads/problems.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import type { LeadIntake } from '../../src/outbox/leadIntake.js';
import type { LeadOutbox } from '../../src/outbox/leadOutbox.js';
import { sweepAbandonedSmsConversations } from '../../src/outbox/recoverySweep.js';
import { leadStack } from '../support/leadStack.js';
import { SmsConversations } from '../../src/sms/smsConversations.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

describe('an SMS conversation the texter abandons', () => {
  let database: TestDatabase;
  let npa: FakeNpa;
  let store: Repositories;
  let intake: LeadIntake;
  let outbox: LeadOutbox;
  let sms: SmsConversations;

  beforeAll(async () => {
    database = await createTestDatabase();
    npa = await startFakeNpa({ username: 'u', password: 'p' });
    const npaClient = createNpaClient({ url: npa.url, username: 'u', password: 'p', logger: database.logger, maxAttempts: 1 });
    ({ repos: store, intake, outbox } = leadStack(database.db, npaClient, database.logger));
    sms = new SmsConversations({ sessions: store.sessions, intake, logger: database.logger });
  });
  afterAll(async () => {
    await npa?.close();
    await database?.close();
  });

  const sweep = () => sweepAbandonedSmsConversations({ repos: store, intake, logger: database.logger }, { idleMs: 1 });

  it('is saved as a failed lead with what it has, and the next text starts over', async () => {
    const phone = '+13035550142';
    await sms.handle(phone, 'hi');
    await sms.handle(phone, 'Jo Park');
    await sms.handle(phone, '80202');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await sweep()).toBe(1);
    // A second sweep finds nothing: the conversation is settled.
    expect(await sweep()).toBe(0);

    const failed = (await store.failed.list()).filter((l) => l.channel === 'sms');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.errorMessage).toContain(SMS_ABANDONED_REASON);
    expect(failed[0]?.leadData).toMatchObject({ full_name: 'Jo Park', zip_code: '80202', phone: null });
    expect((await store.sessions.findSms(phone))?.state).toMatchObject({ phase: 'abandoned', machine: null });

    expect(await sms.handle(phone, 'hello again')).toMatch(/Thanks for texting Power Sport Buyers/);
  });

  it('sends a complete lead the texter never confirmed, like a call that hangs up after giving everything', async () => {
    const phone = '+13035550143';
    for (const text of ['hi', 'Lee Chan', '80203', 'this number', '2020 Honda Rebel 500']) await sms.handle(phone, text);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // (The conversation the previous test restarted is idle too and goes with it.)
    expect(await sweep()).toBeGreaterThanOrEqual(1);
    expect((await store.sessions.findSms(phone))?.state).toMatchObject({ phase: 'abandoned' });
    const leadId = readSmsState((await store.sessions.findSms(phone))?.state).leadId ?? '';
    expect(await outbox.state(leadId)).toMatchObject({ status: 'pending' });
    await outbox.process(leadId);
    const succeeded = await store.succeeded.get(leadId);
    expect(succeeded?.leadData).toMatchObject({ full_name: 'Lee Chan', vehicle_model: 'Rebel 500', phone: '+13035550143' });
  });
});
