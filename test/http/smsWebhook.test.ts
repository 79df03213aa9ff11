import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const TOKEN = 'sms-test-token';
const PUBLIC_URL = 'https://psb.example.com';

describe('POST /twilio/sms through the real server', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({
      env: { ...database.env, TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL },
      logger: database.logger,
      overrides: { db: database.db },
    });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  const text = async (from: string, body: string, signature?: string) => {
    const params = { From: from, Body: body, MessageSid: 'SM0001', To: '+18005550100' };
    const response = await fetch(`${lab.app.url}/twilio/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature ?? twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}/twilio/sms`, params),
      },
      body: new URLSearchParams(params),
    });
    return { status: response.status, body: await response.text() };
  };

  it('answers each text with TwiML and ends with a succeeded lead', async () => {
    const replies: string[] = [];
    for (const body of ['hi', 'Tom Becker', '32801', 'use this number', '2014 Suzuki V-Strom 650', 'yes']) {
      const { status, body: twiml } = await text('+14075550129', body);
      expect(status).toBe(200);
      expect(twiml).toMatch(/^<\?xml.*<Response><Message>.*<\/Message><\/Response>$/);
      replies.push(twiml);
    }
    expect(replies[0]).toContain('Thanks for texting Power Sport Buyers');
    expect(replies[5]).toContain('reach out shortly');
    const deadline = Date.now() + 5_000;
    let leads = await lab.app.repos.succeeded.list();
    while (leads.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      leads = await lab.app.repos.succeeded.list();
    }
    expect(leads[0]?.leadData).toEqual({
      full_name: 'Tom Becker',
      zip_code: '32801',
      phone: '+14075550129',
      vehicle_year: 2014,
      vehicle_make: 'Suzuki',
      vehicle_model: 'V-Strom 650',
    });
    expect(lab.npa.requests.at(-1)?.body).toMatchObject({ channel: 'sms', phone: '+14075550129' });
  });

  it('a second conversation from the same number is a session of its own; the first lead keeps its session', async () => {
    const phone = '+14075550129';
    const first = await lab.app.repos.sessions.findSms(phone);
    expect(first?.state).toMatchObject({ phase: 'done', outcome: 'succeeded' });
    const firstTurns = (first?.state as { transcript: unknown[] }).transcript.length;
    for (const body of ['hello again', 'Tom Becker', '32801', 'use this number', '2019 Honda Rebel 500', 'yes']) {
      expect((await text(phone, body)).status).toBe(200);
    }
    const second = await lab.app.repos.sessions.findSms(phone);
    expect(second?.id).not.toBe(first?.id);
    expect(second?.sessionKey).toMatch(/^sms:[0-9a-f-]{36}$/);
    // The first conversation is as it was: its transcript, its outcome, and its lead still point at it.
    const firstNow = await lab.app.repos.sessions.get(first?.id ?? '');
    expect((firstNow?.state as { transcript: unknown[] }).transcript).toHaveLength(firstTurns);
    expect(firstNow?.state).toMatchObject({ phase: 'done', outcome: 'succeeded' });
    const leads = await lab.app.repos.succeeded.list();
    const bySession = new Map(leads.map((lead) => [lead.sessionId, lead.leadData.vehicle_model]));
    expect(bySession.get(first?.id ?? null)).toBe('V-Strom 650');
    // The second lead's row, polled for rather than waited on.
    const secondModel = async () => new Map((await lab.app.repos.succeeded.list()).map((l) => [l.sessionId, l.leadData.vehicle_model])).get(second?.id ?? null);
    const deadline = Date.now() + 5_000;
    while ((await secondModel()) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await secondModel()).toBe('Rebel 500');
  });

  it('refuses an unsigned or tampered text with 403 and records nothing', async () => {
    expect((await text('+15555550100', 'hi', 'bogus')).status).toBe(403);
    expect(await lab.app.repos.sessions.findSms('+15555550100')).toBeNull();
  });
});
