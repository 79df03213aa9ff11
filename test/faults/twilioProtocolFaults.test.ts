import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from '../security/signedLab.js';
import { sampleCall } from '../security/sampleCall.js';
import { openRawStream, stopFrame } from '../security/streamFrames.js';
import { afterStreamTwiml, finalRow, SAMPLE_LEAD, sessionState, startFaultLab } from './faultLab.js';

/** Twilio's side misbehaves: stop without start, duplicate stop, marks out of order or never echoed. */
describe('fault injection: Twilio Media Streams protocol', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  const call = sampleCall();
  const full = scriptFromTranscript(call);
  const from = call.callerPhone ?? '';

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startFaultLab(database);
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('stop without start: counted; the call that never streamed is saved as one failed row', async () => {
    const callSid = 'CAproto00000000000000000000000001';
    await lab.webhook(callSid, from);
    const before = lab.app.metrics.get('twilio_messages_out_of_order_total');
    const stream = await openRawStream(lab);
    stream.send(stopFrame(callSid, 'MZproto00000000000000000000000001'));
    await eventually(() => (lab.app.metrics.get('twilio_messages_out_of_order_total') > before ? true : undefined), 'the counter');
    stream.ws.close();
    const output = await lab.outcomeOf(callSid);
    expect(output.endReason).toBe('stream-never-started');
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toContain('the call audio never started');
    // No model failure: the caller is not asked to leave a message, the call simply ends.
    expect(await afterStreamTwiml(lab, callSid)).not.toContain('<Record');
  });

  it('duplicate stop: the second is counted and ignored; one row with what the caller said', async () => {
    const callSid = 'CAproto00000000000000000000000002';
    lab.openai.enqueueScript(full.slice(0, 4));
    await lab.webhook(callSid, from);
    const caller = await lab.connectCaller(callSid, from);
    caller.sendFrames(100, 'speech');
    const connection = await lab.openai.waitForConnection(lab.openai.connections.length - 1);
    await connection.scriptDone;
    const before = lab.app.metrics.get('twilio_messages_out_of_order_total');
    const stop = stopFrame(callSid, caller.streamSid);
    caller.sendRaw(stop);
    caller.sendRaw(stop);
    await eventually(() => (lab.app.metrics.get('twilio_messages_out_of_order_total') > before ? true : undefined), 'the counter');
    await caller.hangUp();
    const output = await lab.outcomeOf(callSid);
    expect(output.endReason).toBe('caller-hangup');
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(/incomplete: caller hung up after zip_code/);
    expect(row.lead).toMatchObject({ full_name: 'John Carter', zip_code: '30093' });
    await sessionState(lab, callSid, 'failed');
  });

  it('marks echoed out of order, unknown marks, marks repeated: the call completes and the lead succeeds', async () => {
    const callSid = 'CAproto00000000000000000000000003';
    lab.openai.enqueueScript(full);
    await lab.webhook(callSid, from);
    const caller = await lab.connectCaller(callSid, from);
    caller.holdMarks();
    caller.sendFrames(400, 'speech');
    // Wait for the goodbye: the call is in its closing phase, waiting for its last mark.
    await eventually(() => (lab.app.registry.get(callSid)?.stateName() === 'streaming.closing' ? true : undefined), 'the goodbye');
    const names = caller.received.marks.map((m) => m.name);
    expect(names.length).toBeGreaterThan(1);
    const mark = (name: string) => JSON.stringify({ event: 'mark', sequenceNumber: '1', streamSid: caller.streamSid, mark: { name } });
    caller.sendRaw(mark('never-sent-by-the-server'));
    caller.sendRaw(mark(''));
    for (const name of [...names].reverse()) caller.sendRaw(mark(name));
    for (const name of names) caller.sendRaw(mark(name));
    await caller.closed;
    const output = await lab.outcomeOf(callSid);
    expect(output.endReason).toBe('goodbye');
    expect(await finalRow(lab, output.leadId)).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
  });

  it('the goodbye’s mark never comes back: the call hangs up after its playback timeout and the lead succeeds', async () => {
    const callSid = 'CAproto00000000000000000000000004';
    lab.openai.enqueueScript(full);
    await lab.webhook(callSid, from);
    const caller = await lab.connectCaller(callSid, from);
    caller.holdMarks();
    caller.sendFrames(400, 'speech');
    const closed = await caller.closed;
    expect(closed.code).toBe(1000);
    // Only the barge-in clears echoed marks (as Twilio does); no audio was ever reported played.
    expect(caller.received.echoed.filter((e) => !e.viaClear)).toHaveLength(0);
    const output = await lab.outcomeOf(callSid);
    expect(output.endReason).toBe('goodbye');
    expect(await finalRow(lab, output.leadId)).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    expect(await afterStreamTwiml(lab, callSid)).toMatch(/<Response><Hangup\/><\/Response>$/);
  });

  it('the caller’s network drops (no stop): one row, nothing lost', async () => {
    const callSid = 'CAproto00000000000000000000000005';
    lab.openai.enqueueScript(full.slice(0, 6));
    await lab.webhook(callSid, from);
    const caller = await lab.connectCaller(callSid, from);
    caller.sendFrames(200, 'speech');
    const connection = await lab.openai.waitForConnection(lab.openai.connections.length - 1);
    await connection.scriptDone;
    caller.terminate();
    const output = await lab.outcomeOf(callSid);
    expect(output.endReason).toBe('caller-hangup');
    const row = await finalRow(lab, output.leadId);
    expect(row.outcome).toBe('failed');
    expect(row.lead).toMatchObject({ full_name: 'John Carter', zip_code: '30093', phone: '+14045550111' });
  });
});
