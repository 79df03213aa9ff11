import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript, type Script } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from '../security/signedLab.js';
import { sampleCall } from '../security/sampleCall.js';
import { afterStreamTwiml, finalRow, SAMPLE_LEAD, sessionState, startFaultLab } from './faultLab.js';

/**
 * The Realtime socket drops at each phase of a call. Before or during the conversation the caller hears the apology
 * and the Record prompt and a failed lead keeps what was said; during the goodbye nothing is lost and the lead goes
 * through.
 */
describe('fault injection: Realtime socket drops', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  const call = sampleCall();
  const full = scriptFromTranscript(call);

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startFaultLab(database);
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  /** Places a call that runs `script`; resolves once the server closed the stream and the call ended. */
  async function dropCall(callSid: string, script: Script, options: { holdMarks?: boolean } = {}) {
    lab.openai.enqueueScript(script);
    await lab.webhook(callSid, call.callerPhone ?? '');
    const caller = await lab.connectCaller(callSid, call.callerPhone ?? '');
    if (options.holdMarks) caller.holdMarks();
    // Plenty of caller audio so every caller step of the script is heard.
    caller.sendFrames(400, 'speech');
    const closed = await caller.closed;
    const output = await lab.outcomeOf(callSid);
    return { caller, closed, output };
  }

  it('before the greeting (socket terminated as it opens): apology and Record, no agent audio, one failed row', async () => {
    const callSid = 'CAdrop000000000000000000000000001';
    const { caller, output } = await dropCall(callSid, [{ dropSocket: true }]);
    expect(caller.received.media).toHaveLength(0);
    expect(await afterStreamTwiml(lab, callSid)).toMatch(/<Say>[^<]*sorry[^<]*<\/Say><Record /);
    expect(output).toMatchObject({ outcome: 'failed', endReason: 'model-failure' });
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(/^model connection (failed|lost): /);
    await sessionState(lab, callSid, 'failed');
  });

  it('mid-conversation (close 1011 after the ZIP): apology and Record; the failed lead keeps the name and ZIP', async () => {
    const callSid = 'CAdrop000000000000000000000000002';
    const upToZip = full.slice(0, 4); // greeting, name, ZIP question, ZIP answer
    const { caller, output } = await dropCall(callSid, [...upToZip, { agent: 'Got it, 30093.' }, { dropSocket: true, mode: 'close' }]);
    expect(caller.received.media.length).toBeGreaterThan(0);
    expect(await afterStreamTwiml(lab, callSid)).toMatch(/<Say>[^<]*sorry[^<]*<\/Say><Record /);
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(/^model connection lost: /);
    expect(row.lead).toMatchObject({ full_name: 'John Carter', zip_code: '30093' });
    const state = await sessionState(lab, callSid, 'failed');
    expect(state.endReason).toBe('model-failure');
    expect((state.transcript as unknown[]).length).toBeGreaterThanOrEqual(4);
  });

  it('during the goodbye (end_call sent, goodbye still playing): no apology, the complete lead succeeds', async () => {
    const callSid = 'CAdrop000000000000000000000000003';
    // The caller's playback stalls, so the call is still in its goodbye when the socket dies.
    const { caller, output } = await dropCall(callSid, [...full, { wait: 50 }, { dropSocket: true }], { holdMarks: true });
    expect(caller.received.media.length).toBeGreaterThan(0);
    expect(await afterStreamTwiml(lab, callSid)).toMatch(/<Response><Hangup\/><\/Response>$/);
    expect(output.endReason).toBe('goodbye');
    const row = await finalRow(lab, output.leadId);
    expect(row).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    await sessionState(lab, callSid, 'succeeded');
  });

  it('the Realtime API refuses every connection for a while: each call apologises and saves one row; later calls work again', async () => {
    lab.openai.failNextConnections(3);
    const sids = ['CAdrop000000000000000000000000004', 'CAdrop000000000000000000000000005', 'CAdrop000000000000000000000000006'];
    const results = await Promise.all(sids.map((sid) => dropCall(sid, full)));
    for (const [i, { output }] of results.entries()) {
      expect(output.outcome, sids[i]).toBe('failed');
      expect((await finalRow(lab, output.leadId)).reason).toMatch(/^model connection failed: /);
      expect(await afterStreamTwiml(lab, sids[i] ?? '')).toContain('<Record ');
    }
    const callSid = 'CAdrop000000000000000000000000007';
    const { output } = await dropCall(callSid, full);
    expect(await finalRow(lab, output.leadId)).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    await eventually(() => (lab.app.registry.size === 0 ? true : undefined), 'no live calls left');
  });
});
