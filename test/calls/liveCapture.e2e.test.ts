import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import type { Script } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** Live capture through the real server, the fake OpenAI (calling record_lead_field as the model does) and a fake caller. */
describe('live capture (record_lead_field) through the real server', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  const REASK = "I'm sorry, we aren't able to buy vehicles in Alaska or Hawaii. Is the vehicle at a ZIP code in the lower 48 states?";

  it('answers an Alaska ZIP with the reason, the agent re-asks next, and the lower-48 ZIP is accepted as attempt 2', async () => {
    const callSid = 'CAcapture000000000000000000000000001';
    const script: Script = [
      { agent: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
      { caller: 'John Carter.' },
      { agent: 'John Carter, is that right?' },
      { caller: 'Yes.' },
      { recordField: { field: 'full_name', value: 'John Carter' } },
      { agent: "Thanks, John. What's the ZIP code where the vehicle is?" },
      { caller: 'nine nine five oh one' },
      { agent: 'Nine nine five oh one, correct?' },
      { caller: 'Correct.' },
      { recordField: { field: 'zip_code', value: '99501' } },
      { agent: REASK },
      { caller: "Yes, it's at my brother's place, three oh oh nine three." },
      { agent: 'Three oh oh nine three, correct?' },
      { caller: 'Yes.' },
      { recordField: { field: 'zip_code', value: '30093' } },
      { agent: "Got it. What's the best number to call you back?" },
      { caller: 'The number I am calling from.' },
      { recordField: { field: 'phone', value: 'CALLER_ID' } },
      { agent: 'And the year, make and model?' },
      { caller: 'A 2019 Harley Davidson Street Glide.' },
      { agent: 'A 2019 Harley-Davidson Street Glide, right?' },
      { caller: 'Right.' },
      { recordField: { field: 'vehicle_year', value: '2019' } },
      { recordField: { field: 'vehicle_make', value: 'Harley Davidson' } },
      { recordField: { field: 'vehicle_model', value: 'Street Glide' } },
      { agent: 'Thanks, John! A buyer will call you back shortly. Goodbye.' },
      { endCall: true },
    ];
    const connectionIndex = lab.openai.connections.length;
    const { output } = await placeScriptedCall(lab, { callSid, from: '+14045550111', script });
    expect(output).toMatchObject({ outcome: 'succeeded', endReason: 'goodbye' });

    const connection = lab.openai.connections[connectionIndex];
    const calls = connection?.functionCalls ?? [];
    const zips = calls.filter((c) => c.arguments.includes('zip_code'));
    const refusal = JSON.parse(zips[0]?.output ?? '{}') as Record<string, string>;
    expect(refusal).toMatchObject({ status: 'refused', field: 'zip_code' });
    expect(refusal.reason).toBe('the ZIP code is in Alaska; we do not buy vehicles in Alaska or Hawaii');
    expect(refusal.next).toMatch(/a state we buy in/);
    // The refusal was answered with a response.create before the agent spoke again: the re-ask is that response.
    expect(zips[0]?.answered).toBe(true);
    expect(JSON.parse(zips[1]?.output ?? '{}')).toEqual({ status: 'accepted', field: 'zip_code', value: '30093' });
    expect(calls.filter((c) => c.name === 'record_lead_field').map((c) => (JSON.parse(c.output ?? '{}') as { status: string }).status)).toEqual([
      'accepted', 'refused', 'accepted', 'accepted', 'accepted', 'accepted', 'accepted',
    ]);

    const state = (await lab.app.repos.sessions.getByKey(callSid))?.state as Record<string, unknown>;
    const transcript = state.transcript as Array<{ role: string; text: string }>;
    const reaskAt = transcript.findIndex((t) => t.text === REASK);
    expect(transcript[reaskAt - 1]).toEqual({ role: 'user', text: 'Correct.' });
    expect(state.captured).toEqual({
      full_name: { value: 'John Carter', at: expect.any(String), attempts: 1 },
      zip_code: { value: '30093', at: expect.any(String), attempts: 2 },
      phone: { value: '+14045550111', at: expect.any(String), attempts: 1 },
      vehicle_year: { value: 2019, at: expect.any(String), attempts: 1 },
      vehicle_make: { value: 'Harley-Davidson', at: expect.any(String), attempts: 1 },
      vehicle_model: { value: 'Street Glide', at: expect.any(String), attempts: 1 },
    });
    expect((await lab.app.repos.succeeded.get(output.leadId))?.leadData).toMatchObject({ zip_code: '30093', phone: '+14045550111' });
  });

  it('end_call with a field missing: named once, the agent asks, the caller declines, the second end_call ends the call', async () => {
    const callSid = 'CAcapture000000000000000000000000002';
    const script: Script = [
      { agent: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
      { caller: 'Dana Whitfield.' },
      { agent: 'Dana Whitfield, right?' },
      { caller: 'Yes.' },
      { recordField: { field: 'full_name', value: 'Dana Whitfield' } },
      { agent: 'And the ZIP code where the vehicle is?' },
      { caller: '30339.' },
      { recordField: { field: 'zip_code', value: '30339' } },
      { agent: 'Thanks. A buyer will call you back shortly.' },
      { endCall: true },
      { agent: 'Sorry, one more thing before you go: what year, make and model is the vehicle, and the best number to reach you?' },
      { caller: "I'd rather not say, thanks." },
      { agent: 'No problem, thanks for calling.' },
      { endCall: true },
    ];
    const connectionIndex = lab.openai.connections.length;
    const { output } = await placeScriptedCall(lab, { callSid, from: '+17705550183', script });
    expect(output).toMatchObject({ outcome: 'failed', endReason: 'goodbye' });

    const ends = (lab.openai.connections[connectionIndex]?.functionCalls ?? []).filter((c) => c.name === 'end_call');
    expect(ends).toHaveLength(2);
    expect(JSON.parse(ends[0]?.output ?? '{}')).toMatchObject({
      ok: false,
      status: 'missing',
      missing: ['phone', 'vehicle_year', 'vehicle_make', 'vehicle_model'],
    });
    expect(ends[0]?.answered).toBe(true);
    expect(ends[1]?.output).toBe('{"ok":true}');

    const state = (await lab.app.repos.sessions.getByKey(callSid))?.state as Record<string, unknown>;
    expect((state.transcript as Array<{ text: string }>).map((t) => t.text)).toContain("I'd rather not say, thanks.");
    expect(state).toMatchObject({ phase: 'saved-failure', captured: { zip_code: { value: '30339', attempts: 1 } } });
    const failed = (await lab.app.repos.failed.list()).find((l) => l.id === output.leadId);
    expect(failed?.errorMessage).toMatch(/missing: phone/);
    expect(failed?.leadData).toMatchObject({ full_name: 'Dana Whitfield', zip_code: '30339', phone: null });
  });
});
