// Text PostgreSQL cannot store (U+0000, lone UTF-16 surrogates) arriving from Twilio, from the model's transcripts or
// in an SMS: it is made storable where it enters, so the lead and its session go into the database like any other
// (before issue 12 every session write failed with SQLSTATE 22P05, the lead was spooled as if the database were
// down, and its replay failed on every sweep).
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutput } from '../../machines/callTypes.js';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { placeScriptedCall } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript, type Script } from '../../src/fakes/fakeOpenAI.js';
import { ROUTES } from '../../src/http/routes.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { callForm, connectSigned, eventually, postForm, signPost, startSignedLab, streamParameters } from '../security/signedLab.js';
import { AUTH_TOKEN, PUBLIC_URL } from '../security/signedLab.js';
import twilio from 'twilio';

const NUL = '\u0000';
const LONE_HIGH = '\ud83d';
const LONE_LOW = '\ude00';
const REPLACEMENT = '\ufffd';

let database: TestDatabase;
let lab: VoiceLab;

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startSignedLab(database, { env: { NPA_MAX_ATTEMPTS: '1', TRANSCRIPT_WAIT_MS: '300' } });
}, 60_000);

afterAll(async () => {
  await lab?.close();
  await database?.close();
});

/** A signed call as Twilio places it: signed webhook, signed stream upgrade with the TwiML's parameters. */
async function signedCall(callSid: string, from: string, script: Script): Promise<{ output: CallOutput; twiml: string }> {
  lab.openai.enqueueScript(script);
  const connectionIndex = lab.openai.connections.length;
  const form = callForm(callSid, from);
  const hook = await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) });
  expect(hook.status).toBe(200);
  const caller = await connectSigned(lab, { callSid, from, parameters: streamParameters(hook.body) });
  caller.startStreaming();
  void lab.openai
    .waitForConnection(connectionIndex)
    .then((connection) => new Promise<void>((resolve) => connection.cues.once('callerHangsUp', resolve)))
    .then(() => caller.hangUp())
    .catch(() => caller.terminate());
  const output = await lab.outcomeOf(callSid);
  caller.stopStreaming();
  return { output, twiml: hook.body };
}

async function spoolIsEmpty(): Promise<boolean> {
  return new LeadSpool(database.dataDir, database.logger).isEmpty();
}

async function expectDelivered(output: CallOutput): Promise<void> {
  await eventually(() => (lab.npa.accepted.has(output.leadId) ? true : undefined), 'NPA to accept the lead');
  expect(await lab.app.repos.succeeded.get(output.leadId)).not.toBeNull();
}

describe('text PostgreSQL cannot store, made storable where it enters', { timeout: 60_000 }, () => {
  it('a signed call whose From holds %00: its session and lead go into the database, nothing is spooled', async () => {
    const callSid = 'CAnul00000000000000000000000000001';
    const { output, twiml } = await signedCall(callSid, `+1404555${NUL}0111`, scriptFromTranscript(sampleConversation('public-01.json')));
    // The TwiML is valid XML again (it carries the caller's number back as a <Parameter>).
    expect(twiml).not.toContain(NUL);
    expect(output).toMatchObject({ outcome: 'succeeded', reason: null });
    await expectDelivered(output);
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session?.state).toMatchObject({ phase: 'saved-success', callerPhone: `+1404555${REPLACEMENT}0111`, outcome: 'succeeded' });
    expect((session?.state['transcript'] as unknown[]).length).toBe(13);
    expect(await spoolIsEmpty()).toBe(true);
  });

  it('caller turns with a NUL and with lone surrogates: the transcript is stored, the lead is not spooled', async () => {
    const conversation = sampleConversation('public-01.json');
    const turns = conversation.turns.map((turn, i) =>
      i === 7 ? { ...turn, text: `Yes.${NUL}` } : i === 11 ? { ...turn, text: `That's right ${LONE_HIGH}, yes ${LONE_LOW}` } : turn,
    );
    const callSid = 'CAnul00000000000000000000000000002';
    const { output } = await signedCall(callSid, conversation.callerPhone ?? '+14045550111', scriptFromTranscript({ turns }));
    expect(output).toMatchObject({ outcome: 'succeeded', reason: null });
    await expectDelivered(output);
    const transcript = (await lab.app.repos.sessions.getByKey(callSid))?.state['transcript'] as Array<{ role: string; text: string }>;
    expect(transcript.map((t) => t.text)).toContain(`Yes.${REPLACEMENT}`);
    expect(transcript.map((t) => t.text)).toContain(`That's right ${REPLACEMENT}, yes ${REPLACEMENT}`);
    expect(await spoolIsEmpty()).toBe(true);
  });

  it('an SMS body with a NUL: the text is answered and its conversation stored', async () => {
    const send = async (body: string) => {
      const params = { From: '+14075550188', Body: body, MessageSid: 'SM0001', To: '+18005550100' };
      const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${ROUTES.sms}`, params);
      return postForm(lab, ROUTES.sms, params, { 'x-twilio-signature': signature });
    };
    expect((await send('hi')).status).toBe(200);
    const reply = await send(`Tom Becker${NUL}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/<Response><Message>.+<\/Message><\/Response>$/);
    const session = await lab.app.repos.sessions.findSms('+14075550188');
    const texts = (session?.state['transcript'] as Array<{ role: string; text: string }>).filter((t) => t.role === 'user').map((t) => t.text);
    expect(texts).toEqual(['hi', `Tom Becker${REPLACEMENT}`]);
  });

  it('wrote no spool file at all', async () => {
    await expect(readFile(new LeadSpool(database.dataDir, database.logger).path, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
