import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createExtractor } from '../../src/extraction/extractor.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import { chatResponderFromExtractor, startFakeOpenAI, type FakeOpenAI } from '../../src/fakes/fakeOpenAI.js';
import type { Conversation, Lead } from '../../src/leads/lead.js';
import { createLogger } from '../../src/log.js';
import { createSmsReader, type SmsLlm } from '../../src/sms/smsReader.js';

const KEY = 'sk-test-sms-reader';
const logger = createLogger('silent');
const PHONE = '+14075550129';
const LEAD: Lead = { full_name: 'Tom Becker', zip_code: '32801', phone: PHONE, vehicle_year: 2014, vehicle_make: 'Suzuki', vehicle_model: 'V-Strom 650' };
/** The name question answered with the vehicle: the offline reader, expecting a name, takes nothing from it. */
const OFF_SCRIPT: Conversation = {
  callerPhone: PHONE,
  turns: [
    { role: 'user', text: 'hi' },
    { role: 'assistant', text: 'May I have your full name, please?' },
    { role: 'user', text: 'I have a Suzuki V-Strom' },
  ],
};
const CONFIRMED: Conversation = {
  callerPhone: PHONE,
  turns: [
    { role: 'user', text: 'hi' },
    { role: 'assistant', text: 'Thanks for texting Power Sport Buyers! May I have your full name, please?' },
    { role: 'user', text: 'Tom Becker' },
    { role: 'assistant', text: "What's the ZIP code where the vehicle is located?" },
    { role: 'user', text: '32801' },
    { role: 'assistant', text: "What's the best phone number to reach you? Reply 'same number' if it's the one you're texting from." },
    { role: 'user', text: 'use this number' },
    { role: 'assistant', text: "What's the year, make and model of the vehicle you'd like to sell?" },
    { role: 'user', text: '2014 Suzuki V-Strom 650' },
    { role: 'assistant', text: 'Please confirm: name Tom Becker, ZIP code 32801, phone 407-555-0129, vehicle 2014 Suzuki V-Strom 650. Is that all correct? Reply YES, or tell me what to change.' },
    { role: 'user', text: 'yes' },
  ],
};
const AT = new Date('2026-03-01T12:00:00.000Z');

let fake: FakeOpenAI;
const llm = (waits: Partial<Pick<SmsLlm, 'turnWaitMs' | 'voteWaitMs'>> = {}): SmsLlm => ({
  extractor: createExtractor(parseConfig({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: fake.httpUrl }), { logger }),
  turnWaitMs: waits.turnWaitMs ?? 5_000,
  voteWaitMs: waits.voteWaitMs ?? 5_000,
});

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.chatMode('ok');
  fake.setChatResponder(chatResponderFromExtractor(extractOffline));
});

describe('createSmsReader', () => {
  it('without an LLM reads offline only, asks nobody, and takes no vote', async () => {
    const reader = createSmsReader({ logger });
    const before = fake.chatRequests.length;
    const reading = await reader.readTurn(OFF_SCRIPT, 'I have a Suzuki V-Strom');
    expect(reading.lead).toEqual(extractOffline(OFF_SCRIPT).lead);
    expect(reading).toMatchObject({ affirmative: false, negative: false });
    const decided = await reader.decide(CONFIRMED, { lead: LEAD, times: {} }, AT);
    expect(decided.decision).toBeNull();
    expect(decided.result).toEqual(extractOffline(CONFIRMED));
    expect(fake.chatRequests.length).toBe(before);
  });

  it('a turn takes what only the LLM read; llm: false reads it offline only', async () => {
    fake.setChatResponder(() => ({ ...LEAD, full_name: null, zip_code: null, phone: null, vehicle_year: null, vehicle_model: 'V-Strom' }));
    const reader = createSmsReader({ llm: llm(), logger });
    const reading = await reader.readTurn(OFF_SCRIPT, 'I have a Suzuki V-Strom');
    expect(reading.lead).toMatchObject({ vehicle_make: 'Suzuki', vehicle_model: 'V-Strom', full_name: null });
    expect(reading.missing).not.toContain('vehicle_make');

    const before = fake.chatRequests.length;
    const offline = await reader.readTurn(OFF_SCRIPT, 'yes', { llm: false });
    expect(fake.chatRequests.length).toBe(before);
    expect(offline.lead.vehicle_make).toBeNull();
    expect(offline.affirmative).toBe(true);
  });

  it('a slow LLM holds a turn up for turnWaitMs at most, then the offline reading goes on', async () => {
    fake.chatMode('timeout');
    const reader = createSmsReader({ llm: llm({ turnWaitMs: 200 }), logger });
    const startedAt = Date.now();
    const reading = await reader.readTurn(OFF_SCRIPT, 'I have a Suzuki V-Strom');
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(reading.lead).toEqual(extractOffline(OFF_SCRIPT).lead);
  });

  it('the vote has the confirmed read-back as its live witness', async () => {
    const reader = createSmsReader({ llm: llm(), logger });
    const decided = await reader.decide(CONFIRMED, { lead: LEAD, times: { zip_code: 2 } }, AT);
    expect(decided.source).toBe('llm');
    expect(decided.result.lead).toEqual(LEAD);
    expect(decided.decision?.fields.zip_code).toMatchObject({ ruling: 'agreed', for: ['live', 'llm', 'offline'], witnesses: { live: '32801' } });
    expect(decided.decision?.disputed).toEqual([]);
    // What the texter did not confirm is not testified to by the read-back.
    const partial = await reader.decide(CONFIRMED, { lead: { ...LEAD, vehicle_model: null }, times: {} }, AT);
    expect(partial.decision?.fields.vehicle_model).toMatchObject({ ruling: 'agreed', for: ['llm', 'offline'], witnesses: { live: null } });
  });

  it('a slow LLM holds the vote up for voteWaitMs at most; the read-back and the offline reading decide', async () => {
    fake.chatMode('timeout');
    const reader = createSmsReader({ llm: llm({ voteWaitMs: 200 }), logger });
    const startedAt = Date.now();
    const decided = await reader.decide(CONFIRMED, { lead: LEAD, times: {} }, AT);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(decided.source).toBe('offline');
    expect(decided.llmError).toBe('no LLM answer within 200 ms');
    expect(decided.result.lead).toEqual(LEAD);
    expect(decided.decision?.fields.full_name).toMatchObject({ ruling: 'agreed', for: ['live', 'offline'] });
  });
});
