import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Repositories } from '../../src/db/repositories.js';
import { leadStack } from '../support/leadStack.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { SmsConversations } from '../../src/sms/smsConversations.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

describe('SMS conversations, turn by turn', () => {
  let database: TestDatabase;
  let npa: FakeNpa;
  let store: Repositories;
  let sms: SmsConversations;

  beforeAll(async () => {
    database = await createTestDatabase();
    npa = await startFakeNpa({ username: 'u', password: 'p' });
    const npaClient = createNpaClient({ url: npa.url, username: 'u', password: 'p', logger: database.logger, maxAttempts: 1 });
    const stack = leadStack(database.db, npaClient, database.logger);
    store = stack.repos;
    sms = new SmsConversations({ sessions: store.sessions, intake: stack.intake, logger: database.logger });
  });
  afterAll(async () => {
    await npa?.close();
    await database?.close();
  });

  it('collects the six fields, reads them back, and submits on YES', async () => {
    const phone = '+14045550177';
    expect(await sms.handle(phone, 'Hi, I want to sell my bike')).toMatch(/full name/);
    expect(await sms.handle(phone, 'Maria Lopez')).toMatch(/ZIP code/);
    expect(await sms.handle(phone, '30093')).toMatch(/phone number/);
    expect(await sms.handle(phone, 'this number')).toMatch(/year, make and model/);
    const confirm = await sms.handle(phone, '2018 Yamaha Grizzly 700');
    expect(confirm).toContain('Maria Lopez');
    expect(confirm).toContain('30093');
    expect(confirm).toContain('404-555-0177');
    expect(confirm).toContain('2018 Yamaha Grizzly 700');
    expect(await sms.handle(phone, 'Yes')).toMatch(/reach out shortly/);

    const succeeded = await store.succeeded.list();
    const lead = succeeded.find((l) => (l.leadData as { phone?: string }).phone === '+14045550177');
    expect(lead?.leadData).toEqual({
      full_name: 'Maria Lopez',
      zip_code: '30093',
      phone: '+14045550177',
      vehicle_year: 2018,
      vehicle_make: 'Yamaha',
      vehicle_model: 'Grizzly 700',
    });
    expect(lead?.channel).toBe('sms');
    const session = await store.sessions.findSms(phone);
    expect(session?.channel).toBe('sms');
    expect(session?.state).toMatchObject({ phase: 'done', outcome: 'succeeded' });
    expect((session?.state as { transcript: unknown[] }).transcript).toHaveLength(12);
  });

  it('a second conversation from the same number is a session of its own: the first keeps its transcript and outcome', async () => {
    const phone = '+14045550177';
    const first = await store.sessions.findSms(phone);
    expect(first?.state).toMatchObject({ phase: 'done', outcome: 'succeeded' });
    const firstLead = (await store.succeeded.list()).find((l) => l.sessionId === first?.id);
    expect(firstLead).toBeDefined();
    const greeting = await sms.handle(phone, 'Hi again, I have another one');
    expect(greeting).toMatch(/Thanks for texting Power Sport Buyers/);
    expect(greeting).toMatch(/full name/);
    await sms.handle(phone, 'Maria Lopez');
    const second = await store.sessions.findSms(phone);
    expect(second?.id).not.toBe(first?.id);
    expect((second?.state as { transcript: unknown[] }).transcript).toHaveLength(4);
    const firstNow = await store.sessions.get(first?.id ?? '');
    expect((firstNow?.state as { transcript: unknown[] }).transcript).toHaveLength(12);
    expect(firstNow?.state).toMatchObject({ phase: 'done', outcome: 'succeeded', leadId: firstLead?.id });
  });

  it('takes a correction at the read-back, and a texter who gives several fields at once', async () => {
    const phone = '+16025550148';
    await sms.handle(phone, 'hello');
    expect(await sms.handle(phone, 'My name is Sam Ortiz, zip 85004')).toMatch(/phone number/);
    expect(await sms.handle(phone, '602-555-0148')).toMatch(/year, make and model/);
    expect(await sms.handle(phone, 'a 2017 Kawasaki Ninja 650')).toContain('85004');
    const again = await sms.handle(phone, 'The zip is actually 85008');
    expect(again).toContain('85008');
    expect(await sms.handle(phone, 'yes that is right')).toMatch(/reach out shortly/);
    const succeeded = await store.succeeded.list();
    expect(succeeded.map((l) => l.leadData)).toContainEqual(
      expect.objectContaining({ full_name: 'Sam Ortiz', zip_code: '85008', vehicle_year: 2017, vehicle_make: 'Kawasaki' }),
    );
  });

  it('refuses an Alaska ZIP politely and records the lead as failed with the reason', async () => {
    const phone = '+19075550121';
    await sms.handle(phone, 'hi');
    await sms.handle(phone, 'Dana Olsen');
    expect(await sms.handle(phone, '99501')).toMatch(/Alaska or Hawaii/);
    await sms.handle(phone, 'this number');
    await sms.handle(phone, '2015 Arctic Cat ZR 6000');
    expect(await sms.handle(phone, 'yes')).toMatch(/noted your details/);
    const failed = await store.failed.list();
    const lead = failed.find((l) => (l.leadData as { phone?: string }).phone === '+19075550121');
    expect(lead?.errorMessage).toContain('Alaska');
  });

});
