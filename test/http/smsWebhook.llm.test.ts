import { createServer } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { conversationFromChatRequest, type ChatRequestBody } from '../../src/fakes/fakeOpenAI.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import { REASK_SYSTEM_PROMPT } from '../../src/extraction/llmExtractor.js';
import { LEAD_FIELDS, type Lead } from '../../src/leads/lead.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const TOKEN = 'sms-llm-test-token';
const PUBLIC_URL = 'https://psb.example.com';
const TEXTS = ['hi', 'Tom Becker', '32801', 'use this number', '2014 Suzuki V-Strom 650', 'yes'];

const expectedLead = (phone: string): Lead => ({
  full_name: 'Tom Becker',
  zip_code: '32801',
  phone,
  vehicle_year: 2014,
  vehicle_make: 'Suzuki',
  vehicle_model: 'V-Strom 650',
});

/** The model as the lab's fake plays it (the offline reading of what it was sent), with a changed full name. */
function misreadsName(name: string) {
  return (body: ChatRequestBody): Record<string, unknown> => {
    const messages = body.messages as Array<{ role: string; content: string }>;
    // Asked again about the disputed name: it sticks to its reading.
    if (messages[0]?.content === REASK_SYSTEM_PROMPT) return { full_name: name };
    const conversation = conversationFromChatRequest(body);
    if (conversation === null) throw new Error('no transcript');
    const { lead } = extractOffline(conversation);
    return {
      ...lead,
      full_name: lead.full_name === null ? null : name,
      vehicle_year: lead.vehicle_year === null ? null : String(lead.vehicle_year),
    };
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Texts the whole conversation through the signed webhook; the replies, and the lead once its row is there. */
async function textConversation(lab: VoiceLab, phone: string, texts: readonly string[] = TEXTS) {
  const replies: string[] = [];
  for (const body of texts) {
    const params = { From: phone, Body: body, MessageSid: 'SM0002', To: '+18005550100' };
    const response = await fetch(`${lab.app.url}/twilio/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}/twilio/sms`, params),
      },
      body: new URLSearchParams(params),
    });
    expect(response.status).toBe(200);
    replies.push(await response.text());
  }
  const session = await lab.app.repos.sessions.findSms(phone);
  const leadId = (session?.state as { leadId?: string }).leadId ?? '';
  const deadline = Date.now() + 5_000;
  let lead = await lab.app.repos.succeeded.get(leadId);
  while (lead === null && Date.now() < deadline && (await lab.app.repos.decisions.get(leadId))?.review !== 'held') {
    await new Promise((resolve) => setTimeout(resolve, 50));
    lead = await lab.app.repos.succeeded.get(leadId);
  }
  return { replies, leadId, lead, decision: await lab.app.repos.decisions.get(leadId) };
}

describe('POST /twilio/sms with the LLM reading each text', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: { ...database.env, TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL }, logger: database.logger, overrides: { db: database.db } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('a truthful LLM: the lead is sent, and its decision shows the read-back, the LLM and the offline reading agreeing', async () => {
    const phone = '+14075550131';
    const before = lab.openai.chatRequests.length;
    const { replies, lead, decision } = await textConversation(lab, phone);
    expect(replies[5]).toContain('reach out shortly');
    expect(lead?.leadData).toEqual(expectedLead(phone));
    // Each text before the yes was read by the LLM, then the vote read the whole conversation once more.
    expect(lab.openai.chatRequests.length - before).toBe(6);
    expect(decision?.disputed).toEqual([]);
    expect(decision?.reasked).toBe(false);
    for (const field of LEAD_FIELDS) {
      expect(decision?.fields[field], field).toMatchObject({ ruling: 'agreed', for: ['live', 'llm', 'offline'] });
    }
  });

  it('an LLM that misreads a field the read-back and the offline reading agree on is outvoted after its re-ask', async () => {
    lab.openai.setChatResponder(misreadsName('Tom Decker'));
    const phone = '+14075550132';
    const { replies, lead, decision } = await textConversation(lab, phone);
    // What is texted back is the offline reading of the disputed name, which the texter confirms.
    expect(replies[4]).toContain('Tom Becker');
    expect(replies[4]).not.toContain('Decker');
    expect(replies[5]).toContain('reach out shortly');
    expect(lead?.leadData).toEqual(expectedLead(phone));
    expect(lab.npa.requests.at(-1)?.body).toMatchObject({ channel: 'sms', phone });
    expect(JSON.stringify(lab.npa.requests.at(-1)?.body)).not.toContain('Decker');
    expect(decision?.reasked).toBe(true);
    expect(decision?.disputed).toEqual([]);
    expect(decision?.fields['full_name']).toMatchObject({
      value: 'Tom Becker',
      ruling: 'majority',
      for: ['live', 'offline'],
      witnesses: { live: 'Tom Becker', llm: 'Tom Decker', offline: 'Tom Becker' },
    });
    expect(decision?.review).not.toBe('held');
  });
});

describe('POST /twilio/sms with the LLM unreachable', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({
      env: { ...database.env, TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL, OPENAI_BASE_URL: `http://127.0.0.1:${await closedPort()}/v1` },
      logger: database.logger,
      overrides: { db: database.db },
    });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('works as offline: the same replies, the lead sent, decided by the read-back and the offline reading', async () => {
    const phone = '+14075550133';
    const { replies, lead, decision } = await textConversation(lab, phone);
    expect(replies[0]).toContain('Thanks for texting Power Sport Buyers');
    expect(replies[4]).toContain('Please confirm: name Tom Becker, ZIP code 32801, phone 407-555-0133, vehicle 2014 Suzuki V-Strom 650.');
    expect(replies[5]).toContain('reach out shortly');
    expect(lead?.leadData).toEqual(expectedLead(phone));
    expect(lab.openai.chatRequests).toHaveLength(0);
    expect(decision?.disputed).toEqual([]);
    for (const field of LEAD_FIELDS) {
      expect(decision?.fields[field], field).toMatchObject({ ruling: 'agreed', for: ['live', 'offline'], witnesses: { live: expect.anything(), offline: expect.anything() } });
      expect((decision?.fields[field] as { witnesses?: object } | undefined)?.witnesses, field).not.toHaveProperty('llm');
    }
  });

  it('a yes that also changes a field: the read-back and the reading disagree, and with no LLM to settle it the lead is held for review', async () => {
    const phone = '+14075550134';
    const sent = lab.npa.requests.length;
    const { replies, lead, decision } = await textConversation(lab, phone, [...TEXTS.slice(0, 5), 'yes, zip is 32803']);
    expect(replies[5]).toContain('noted your details');
    expect(lead).toBeNull();
    expect(decision?.review).toBe('held');
    expect(decision?.disputed).toEqual(['zip_code']);
    expect(decision?.fields['zip_code']).toMatchObject({ ruling: 'disputed', witnesses: { live: '32801', offline: '32803' } });
    expect(lab.npa.requests.length).toBe(sent);
  });
});
