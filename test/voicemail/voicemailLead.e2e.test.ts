// The voicemail becomes a lead: a model outage sends the caller to `<Record>`; Twilio's recording callback comes;
// the recording is downloaded from (fake) Twilio with the account's credentials, kept in the recording store,
// transcribed by (fake) OpenAI, and read with the call by the same extractor and vote. All over real sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { startFakeTwilioApi, type FakeTwilioApi } from '../../src/fakes/fakeTwilioApi.js';
import { adminRecordingPath, ROUTES } from '../../src/http/routes.js';
import { RECORDING_THANKS_MESSAGE } from '../../src/twilio/twiml.js';
import { callForm, connectSigned, eventually, postForm, signPost, startSignedLab, AUTH_TOKEN } from '../security/signedLab.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { wavOf } from '../support/wav.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const ADMIN_TOKEN = 'voicemail-admin-token-0123456789';
const COMPLETE = 'Hi, this is John Smith, my zip code is 30301, my number is 404 555 0123, I have a 2018 Honda CRF250R.';
const INCOMPLETE = 'Hi, this is Kim Nguyen calling about my 2019 Kawasaki Ninja 400. Please call me back.';

describe('the voicemail becomes a lead', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  let twilioApi: FakeTwilioApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    twilioApi = await startFakeTwilioApi({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    lab = await startSignedLab(database, { env: { TWILIO_SID: ACCOUNT_SID, TWILIO_API_URL: twilioApi.baseUrl, ADMIN_TOKEN } });
  });
  afterAll(async () => {
    await lab?.close();
    await twilioApi?.close();
    await database?.close();
  });

  /** A call whose model cannot be reached: the lead is saved failed, and Twilio records the caller's message. */
  async function outageCall(callSid: string): Promise<string> {
    lab.openai.failNextConnections(1);
    const form = callForm(callSid);
    const hook = await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) });
    expect(hook.status).toBe(200);
    const caller = await connectSigned(lab, { callSid });
    caller.sendFrames(5, 'speech');
    await caller.closed;
    const output = await lab.outcomeOf(callSid);
    expect(output).toMatchObject({ outcome: 'failed', endReason: 'model-failure' });
    return output.leadId;
  }

  async function recordingCallback(callSid: string, recordingSid: string, wav: Buffer): Promise<void> {
    const form = {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      RecordingSid: recordingSid,
      RecordingUrl: twilioApi.addRecording(recordingSid, wav),
      RecordingDuration: '3',
      RecordingStatus: 'completed',
    };
    const answer = await postForm(lab, ROUTES.recording, form, { 'x-twilio-signature': signPost(ROUTES.recording, form) });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`<Say>${RECORDING_THANKS_MESSAGE}</Say><Hangup/>`);
  }

  it('a voicemail that says a complete lead ends as a succeeded lead, sent once under the lead id', async () => {
    const callSid = 'CAvoicemail00000000000000000000001';
    const recordingSid = 'RE0000000000000000000000000000voice1';
    const leadId = await outageCall(callSid);
    const wav = wavOf(3000, 300);
    lab.openai.transcriptions.addTranscript(wav, COMPLETE);
    await recordingCallback(callSid, recordingSid, wav);

    const succeeded = await eventually(() => lab.app.repos.succeeded.get(leadId).then((row) => row ?? undefined), 'the succeeded lead', 20_000);
    expect(succeeded.leadData).toEqual({
      full_name: 'John Smith',
      zip_code: '30301',
      phone: '+14045550123',
      vehicle_year: 2018,
      vehicle_make: 'Honda',
      vehicle_model: 'CRF250R',
    });
    expect((await lab.app.repos.failed.get(leadId))?.resolvedAt).not.toBeNull();
    expect(lab.npa.accepted.has(leadId)).toBe(true);
    expect(lab.npa.requests.filter((r) => r.headers['idempotency-key'] === leadId)).toHaveLength(1);

    // Fetched with the account's credentials as WAV; transcribed with the configured model.
    const download = twilioApi.requests.find((r) => r.path.endsWith(`${recordingSid}.wav`));
    expect(download?.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(lab.openai.transcriptions.requests.at(-1)).toMatchObject({ model: 'gpt-4o-transcribe' });

    // Kept in the recording store, linked to the call, served to an operator; the session says what happened.
    const kept = await lab.app.repos.recordings.forCall(callSid, 'voicemail');
    expect(kept).toMatchObject({ kind: 'voicemail', status: 'complete', sourceRef: recordingSid, channels: 1, bytes: wav.length });
    expect(kept?.durationMs).toBeCloseTo(3000, -1);
    const served = await fetch(`${lab.app.url}${adminRecordingPath(callSid)}?kind=voicemail`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(Buffer.from(await served.arrayBuffer()).equals(wav)).toBe(true);
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session?.state).toMatchObject({ voicemail: { status: 'read', reason: null }, outcome: 'succeeded' });
    expect((session?.state as { transcript?: Array<{ text: string }> }).transcript?.at(-1)?.text).toBe(COMPLETE);
  });

  it('a voicemail that leaves fields out updates the failed lead, which stays failed with the reason', async () => {
    const callSid = 'CAvoicemail00000000000000000000002';
    const leadId = await outageCall(callSid);
    const wav = wavOf(2000, 500);
    lab.openai.transcriptions.addTranscript(wav, INCOMPLETE);
    await recordingCallback(callSid, 'RE0000000000000000000000000000voice2', wav);

    const session = await eventually(
      () => lab.app.repos.sessions.getByKey(callSid).then((row) => ((row?.state as { voicemail?: unknown }).voicemail ? row : undefined)),
      'the voicemail read',
    );
    expect(session?.state).toMatchObject({ voicemail: { status: 'read' } });
    const failed = await lab.app.repos.failed.get(leadId);
    expect(failed?.resolvedAt).toBeNull();
    expect(failed?.leadData).toMatchObject({ vehicle_year: 2019, vehicle_make: 'Kawasaki', zip_code: null });
    expect(failed?.errorMessage).toMatch(/read from the voicemail; .*zip/i);
    expect(lab.npa.accepted.has(leadId)).toBe(false);
  });

  it('a download Twilio refuses leaves the reference, and the session says why', async () => {
    const callSid = 'CAvoicemail00000000000000000000003';
    const leadId = await outageCall(callSid);
    twilioApi.failNext({ kind: 'status', status: 401 });
    await recordingCallback(callSid, 'RE0000000000000000000000000000voice3', wavOf(1000));
    const session = await eventually(
      () => lab.app.repos.sessions.getByKey(callSid).then((row) => ((row?.state as { voicemail?: unknown }).voicemail ? row : undefined)),
      'the voicemail outcome',
    );
    expect(session?.state).toMatchObject({ voicemail: { status: 'failed' }, recording: { sid: 'RE0000000000000000000000000000voice3' } });
    expect((await lab.app.repos.failed.get(leadId))?.errorMessage).toContain('caller left a recording: RE0000000000000000000000000000voice3');
  });
});
