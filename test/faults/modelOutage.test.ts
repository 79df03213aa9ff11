import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { ROUTES } from '../../src/http/routes.js';
import { RECORDING_THANKS_MESSAGE } from '../../src/twilio/twiml.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually, postForm } from '../security/signedLab.js';

/**
 * Model outage: the Realtime socket cannot be opened, or drops mid-call. The caller hears an apology and is asked to
 * leave their details after the tone; the recording's reference lands on the session and on the failed lead.
 */
describe('model outage: apology, recording, failed lead', () => {
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

  const afterStream = (callSid: string) => postForm(lab, ROUTES.afterStream, { CallSid: callSid, CallStatus: 'in-progress' });
  const recordingForm = (callSid: string, sid: string) => ({
    CallSid: callSid,
    RecordingSid: sid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/${sid}`,
    RecordingDuration: '17',
    RecordingStatus: 'completed',
  });

  function expectApologyWithRecord(twiml: string): void {
    expect(twiml).toMatch(/<Say>We(&apos;|')re sorry[^<]*After the tone, please say your full name[^<]*<\/Say>/);
    expect(twiml).toMatch(
      new RegExp(`<Record action="http://127\\.0\\.0\\.1:${lab.app.port}${ROUTES.recording}" method="POST" maxLength="120" playBeep="true"[^>]*/>`),
    );
    expect(twiml).toMatch(/<\/Say><Record [^>]*\/><Say>[^<]*<\/Say><Hangup\/><\/Response>$/);
  }

  it('Realtime refuses the connection: apology + Record, the recording is kept on the session and the failed lead', async () => {
    const callSid = 'CAoutage00000000000000000000000001';
    lab.openai.failNextConnections(1);
    await lab.webhook(callSid, '+14045550111');
    const caller = await lab.connectCaller(callSid, '+14045550111');
    caller.sendFrames(5, 'speech');
    // We close the stream so Twilio runs the <Connect action>.
    await caller.closed;
    expectApologyWithRecord((await afterStream(callSid)).body);

    const output = await lab.outcomeOf(callSid);
    expect(output).toMatchObject({ outcome: 'failed', endReason: 'model-failure' });
    expect(output.reason).toMatch(/^model connection failed: /);
    expect(caller.received.media).toHaveLength(0);

    const recording = await postForm(lab, ROUTES.recording, recordingForm(callSid, 'RE00000000000000000000000000000001'));
    expect(recording.status).toBe(200);
    expect(recording.body).toContain(`<Say>${RECORDING_THANKS_MESSAGE}</Say><Hangup/>`);

    const failed = await lab.app.repos.failed.get(output.leadId);
    expect(failed?.errorMessage).toMatch(/^model connection failed: .*caller left a recording: RE00000000000000000000000000000001 https:\/\/api\.twilio\.com\//);
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session?.state).toMatchObject({
      outcome: 'failed',
      endReason: 'model-failure',
      recording: { sid: 'RE00000000000000000000000000000001', durationSeconds: 17 },
    });
    expect(failed?.sessionId).toBe(session?.id);
    // Without Twilio credentials nothing more can happen to it, and the session says why.
    const kept = await eventually(async () => {
      const state = (await lab.app.repos.sessions.getByKey(callSid))?.state as { voicemail?: { status: string; reason: string } } | undefined;
      return state?.voicemail;
    }, 'the voicemail outcome');
    expect(kept).toMatchObject({ status: 'kept', reason: "not read: TWILIO_SID, TWILIO_AUTH_TOKEN not set; Twilio's reference is kept" });

    // Twilio retries a webhook it did not hear back from: nothing is written twice.
    await postForm(lab, ROUTES.recording, recordingForm(callSid, 'RE00000000000000000000000000000001'));
    const again = await lab.app.repos.failed.get(output.leadId);
    expect(again?.errorMessage).toBe(failed?.errorMessage);
  });

  it('Realtime drops mid-call: the caller heard the agent, then the apology; a recording posted while the lead is still being saved lands on it', async () => {
    const callSid = 'CAoutage00000000000000000000000002';
    lab.openai.enqueueScript([
      { agent: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
      { caller: 'Sure, it is John Carter.' },
      { agent: 'Thank you John. What is your ZIP code?' },
      { dropSocket: true },
    ]);
    await lab.webhook(callSid, '+14045550111');
    const caller = await lab.connectCaller(callSid, '+14045550111');
    caller.sendFrames(50, 'speech');
    await caller.closed;
    // Posted at once: the call may still be extracting and saving.
    const recording = postForm(lab, ROUTES.recording, recordingForm(callSid, 'RE00000000000000000000000000000002'));
    expectApologyWithRecord((await afterStream(callSid)).body);
    expect((await recording).status).toBe(200);
    expect(caller.received.media.length).toBeGreaterThan(0);

    const output = await lab.outcomeOf(callSid);
    expect(output).toMatchObject({ outcome: 'failed', endReason: 'model-failure' });
    expect(output.reason).toMatch(/^model connection lost: /);
    const failed = await eventually(
      async () => {
        const row = await lab.app.repos.failed.get(output.leadId);
        return row?.errorMessage.includes('RE00000000000000000000000000000002') ? row : undefined;
      },
      'the recording on the failed lead',
    );
    expect(failed.leadData.full_name).toBe('John Carter');
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session?.state).toMatchObject({ recording: { sid: 'RE00000000000000000000000000000002' } });
  });

  it('a call whose model was fine only hangs up after the stream, and an empty recording post keeps nothing', async () => {
    const callSid = 'CAoutage00000000000000000000000003';
    lab.openai.enqueueScript([{ agent: 'Thanks for calling!' }, { endCall: true }]);
    await lab.webhook(callSid, '+14045550111');
    const caller = await lab.connectCaller(callSid, '+14045550111');
    await caller.closed;
    const twiml = (await afterStream(callSid)).body;
    expect(twiml).toMatch(/<Response><Hangup\/><\/Response>$/);
    expect(twiml).not.toContain('<Record');
    await lab.outcomeOf(callSid);
    const before = lab.app.metrics.get('recordings_invalid_total');
    const empty = await postForm(lab, ROUTES.recording, { CallSid: callSid, RecordingUrl: 'javascript:alert(1)' });
    expect(empty.status).toBe(200);
    expect(lab.app.metrics.get('recordings_invalid_total')).toBe(before + 1);
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session?.state).not.toHaveProperty('recording');
  });
});
