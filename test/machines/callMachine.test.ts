import { describe, expect, it } from 'vitest';
import { DEFAULT_CALL_TIMEOUTS, type CallExtraction, type SubmitOutput } from '../../machines/callTypes.js';
import type { Turn } from '../../src/leads/lead.js';
import { TEST_INPUT, createCallHarness, type CallHarness } from './callMachineHarness.js';

const TRANSCRIPT: Turn[] = [
  { role: 'assistant', text: 'Power Sport Buyers, how can I help?' },
  { role: 'user', text: 'Selling a dirt bike.' },
];
const PARTIAL: Turn[] = [{ role: 'assistant', text: 'Power Sport Buyers, how can I help?' }];
const EXTRACTION: CallExtraction = {
  result: {
    lead: {
      full_name: 'Pat Example',
      zip_code: '30301',
      phone: '+15555550123',
      vehicle_year: 2020,
      vehicle_make: 'KTM',
      vehicle_model: '350 SX-F',
    },
    complete: true,
    errors: [],
    missing: [],
    reasons: {},
  },
  source: 'llm',
  disagreements: [],
};
const SUCCEEDED: SubmitOutput = { outcome: 'succeeded', leadId: TEST_INPUT.leadId };
const value = (h: CallHarness) => h.actor.getSnapshot().value;
const context = (h: CallHarness) => h.actor.getSnapshot().context;

/** connecting -> streaming.conversing with the model ready and the stream started. */
async function toConversing(h: CallHarness) {
  h.actor.start();
  await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
  await h.resolve('connectModel');
  expect(value(h)).toEqual({ streaming: 'conversing' });
}

async function toClosing(h: CallHarness) {
  await toConversing(h);
  await h.send({ type: 'GOODBYE', via: 'tool' });
  expect(value(h)).toEqual({ streaming: 'closing' });
}

async function toAwaitingTranscript(h: CallHarness) {
  await toClosing(h);
  await h.send({ type: 'GOODBYE_PLAYED' });
  expect(value(h)).toBe('awaiting-transcript');
}

async function toExtracting(h: CallHarness) {
  await toAwaitingTranscript(h);
  await h.resolve('awaitTranscript', TRANSCRIPT);
  expect(value(h)).toBe('extracting');
}

async function toSending(h: CallHarness) {
  await toExtracting(h);
  await h.resolve('extractLead', EXTRACTION);
  expect(value(h)).toEqual({ submitting: 'sending' });
}

async function toRecordingFailure(h: CallHarness) {
  await toSending(h);
  await h.reject('submitLead', new Error('npa unreachable'));
  expect(value(h)).toEqual({ submitting: 'recordingFailure' });
}

describe('call machine: the happy path', () => {
  it('goes from the stream start to a submitted lead, stream first then model', async () => {
    const h = createCallHarness();
    h.actor.start();
    expect(value(h)).toBe('connecting');
    expect(h.only('connectModel').input).toEqual({ callSid: 'CA-test' });

    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    expect(value(h)).toBe('connecting');
    expect(context(h).streamStarted).toBe(true);

    await h.resolve('connectModel');
    expect(value(h)).toEqual({ streaming: 'conversing' });
    expect(h.relayRuns).toHaveLength(1);
    expect(h.relayRuns[0]?.input).toEqual({ callSid: 'CA-test' });

    // The relay reports back through its own channel, as the real one does.
    h.relayRuns[0]?.sendBack({ type: 'TRANSCRIPT_UPDATED', turns: PARTIAL });
    h.relayRuns[0]?.sendBack({ type: 'GOODBYE', via: 'tool' });
    expect(value(h)).toEqual({ streaming: 'closing' });
    expect(context(h).transcript).toEqual(PARTIAL);
    expect(h.hangUps()).toEqual([]);

    await h.send({ type: 'GOODBYE_PLAYED' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(h.hangUps()).toEqual([{ apology: false }]);
    expect(h.relayRuns[0]?.stopped).toBe(true);
    expect(h.actions.some((a) => a.type === 'closeModel')).toBe(false);

    await h.resolve('awaitTranscript', TRANSCRIPT);
    expect(value(h)).toBe('extracting');
    expect(h.actions.filter((a) => a.type === 'closeModel')).toHaveLength(1);
    expect(h.only('extractLead').input).toEqual({
      callSid: 'CA-test',
      callerPhone: '+15555550123',
      transcript: TRANSCRIPT,
    });

    await h.resolve('extractLead', EXTRACTION);
    expect(value(h)).toEqual({ submitting: 'sending' });
    expect(h.only('submitLead').input).toEqual({
      callSid: 'CA-test',
      leadId: 'lead-test',
      callerPhone: '+15555550123',
      transcript: TRANSCRIPT,
      endReason: 'goodbye',
      failureReason: null,
      extraction: EXTRACTION,
    });

    await h.resolve('submitLead', SUCCEEDED);
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.value).toBe('saved-success');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({ outcome: 'succeeded', leadId: 'lead-test', reason: null, endReason: 'goodbye' });
    expect(h.phases()).toEqual(['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-success']);
    expect(h.milestones()).toEqual(['goodbye_detected', 'extracting_lead', 'lead_extracted', 'lead_submitted']);
    expect(h.hangUps()).toEqual([{ apology: false }]);
  });

  it('waits in connecting when the model is ready first, and streams once Twilio starts', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.resolve('connectModel');
    expect(value(h)).toBe('connecting');
    expect(context(h).modelReady).toBe(true);
    expect(h.relayRuns).toHaveLength(0);

    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    expect(value(h)).toEqual({ streaming: 'conversing' });
    expect(h.relayRuns).toHaveLength(1);
    expect(h.phases()).toEqual(['connecting', 'streaming']);
  });

  it('ignores GOODBYE_PLAYED while still conversing', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.send({ type: 'GOODBYE_PLAYED' });
    expect(value(h)).toEqual({ streaming: 'conversing' });
    expect(h.hangUps()).toEqual([]);
  });
});

describe('call machine: the caller hangs up', () => {
  it('in connecting: goes on to the transcript, abandons the model connection, does not hang up itself', async () => {
    const h = createCallHarness();
    h.actor.start();
    const connect = h.only('connectModel');
    await h.send({ type: 'CALLER_HUNG_UP' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('caller-hangup');
    expect(context(h).failureReason).toBeNull();
    expect(connect.signal.aborted).toBe(true);
    expect(h.hangUps()).toEqual([]);
    expect(h.relayRuns).toHaveLength(0);
  });

  it('in streaming.conversing: stops the relay and records a caller hang-up', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.send({ type: 'CALLER_HUNG_UP' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('caller-hangup');
    expect(h.relayRuns[0]?.stopped).toBe(true);
    expect(h.hangUps()).toEqual([]);
  });

  it('in streaming.closing: the call still counts as ended by goodbye', async () => {
    const h = createCallHarness();
    await toClosing(h);
    await h.send({ type: 'CALLER_HUNG_UP' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('goodbye');
    expect(h.hangUps()).toEqual([]);
  });

  const afterTheConversation: Array<[string, (h: CallHarness) => Promise<void>, string]> = [
    ['awaiting-transcript', toAwaitingTranscript, 'awaitTranscript'],
    ['extracting', toExtracting, 'extractLead'],
    ['submitting.sending', toSending, 'submitLead'],
    ['submitting.recordingFailure', toRecordingFailure, 'recordFailure'],
  ];
  it.each(afterTheConversation)('in %s: ignored, the pending work goes on', async (_, reach, actorId) => {
    const h = createCallHarness();
    await reach(h);
    const before = h.actor.getSnapshot();
    const run = h.only(actorId);
    const actionsBefore = h.actions.length;
    await h.send({ type: 'CALLER_HUNG_UP' });
    expect(value(h)).toEqual(before.value);
    expect(context(h)).toEqual(before.context);
    expect(run.signal.aborted).toBe(false);
    expect(h.actions).toHaveLength(actionsBefore);
  });

  it('a hang-up in connecting still ends as a saved lead', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.send({ type: 'CALLER_HUNG_UP' });
    await h.resolve('awaitTranscript', []);
    await h.resolve('extractLead', EXTRACTION);
    expect(h.only('submitLead').input).toMatchObject({ endReason: 'caller-hangup', failureReason: null, transcript: [] });
    await h.resolve('submitLead', { outcome: 'failed', leadId: 'lead-test', reason: 'incomplete: caller hung up' });
    expect(h.actor.getSnapshot().output).toEqual({
      outcome: 'failed',
      leadId: 'lead-test',
      reason: 'incomplete: caller hung up',
      endReason: 'caller-hangup',
    });
    expect(h.phases()).toEqual(['connecting', 'awaiting-transcript', 'extracting', 'submitting', 'saved-failure']);
    expect(h.milestones()).toEqual(['extracting_lead', 'lead_extracted', 'lead_submission_failed']);
  });
});

describe('call machine: timeouts', () => {
  it('MODEL_CONNECT_TIMEOUT: apologises, abandons the connection, records a model failure', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    const connect = h.only('connectModel');
    await h.advance(DEFAULT_CALL_TIMEOUTS.modelConnectMs - 1);
    expect(value(h)).toBe('connecting');
    await h.advance(1);
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('model connection failed: timeout after 5000 ms');
    expect(h.hangUps()).toEqual([{ apology: true }]);
    expect(connect.signal.aborted).toBe(true);
  });

  it('MODEL_CONNECT_TIMEOUT has no effect once the model is ready; STREAM_START_TIMEOUT then ends the call', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.resolve('connectModel');
    await h.advance(DEFAULT_CALL_TIMEOUTS.modelConnectMs);
    expect(value(h)).toBe('connecting');
    expect(h.hangUps()).toEqual([]);
    await h.advance(DEFAULT_CALL_TIMEOUTS.streamStartMs - DEFAULT_CALL_TIMEOUTS.modelConnectMs);
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('stream-never-started');
    expect(context(h).failureReason).toBeNull();
    expect(h.hangUps()).toEqual([{ apology: false }]);
  });

  it('STREAM_START_TIMEOUT shorter than the model timeout: abandons the model connection', async () => {
    const h = createCallHarness({ timeouts: { streamStartMs: 2_000 } });
    h.actor.start();
    const connect = h.only('connectModel');
    await h.advance(2_000);
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('stream-never-started');
    expect(connect.signal.aborted).toBe(true);
  });

  it('STREAM_START_TIMEOUT does nothing once the stream started', async () => {
    const h = createCallHarness({ timeouts: { modelConnectMs: 60_000 } });
    h.actor.start();
    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    await h.advance(DEFAULT_CALL_TIMEOUTS.streamStartMs);
    expect(value(h)).toBe('connecting');
    await h.resolve('connectModel');
    expect(value(h)).toEqual({ streaming: 'conversing' });
  });

  it('MAX_CALL while conversing: hangs up without apology, records max-duration', async () => {
    const h = createCallHarness({ timeouts: { maxCallMs: 120_000 } });
    await toConversing(h);
    await h.advance(119_999);
    expect(value(h)).toEqual({ streaming: 'conversing' });
    await h.advance(1);
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('max-duration');
    expect(context(h).failureReason).toBeNull();
    expect(h.hangUps()).toEqual([{ apology: false }]);
    expect(h.relayRuns[0]?.stopped).toBe(true);
  });

  it('MAX_CALL during the goodbye: ends the call and keeps the goodbye end reason', async () => {
    const h = createCallHarness({ timeouts: { maxCallMs: 10_000 } });
    await toConversing(h);
    await h.advance(5_000);
    await h.send({ type: 'GOODBYE', via: 'phrase' });
    await h.advance(5_000);
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('goodbye');
    expect(h.hangUps()).toEqual([{ apology: false }]);
  });

  it('GOODBYE_PLAYBACK_TIMEOUT: hangs up when the goodbye mark never comes back', async () => {
    const h = createCallHarness();
    await toClosing(h);
    await h.advance(DEFAULT_CALL_TIMEOUTS.goodbyePlaybackMs - 1);
    expect(value(h)).toEqual({ streaming: 'closing' });
    await h.advance(1);
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('goodbye');
    expect(context(h).failureReason).toBeNull();
    expect(h.hangUps()).toEqual([{ apology: false }]);
  });

  it('TRANSCRIPT_WAIT: goes on with the transcript so far and abandons the wait', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.send({ type: 'TRANSCRIPT_UPDATED', turns: PARTIAL });
    await h.send({ type: 'GOODBYE', via: 'tool' });
    await h.send({ type: 'GOODBYE_PLAYED' });
    const wait = h.only('awaitTranscript');
    await h.advance(DEFAULT_CALL_TIMEOUTS.transcriptWaitMs);
    expect(value(h)).toBe('extracting');
    expect(wait.signal.aborted).toBe(true);
    expect(h.only('extractLead').input).toMatchObject({ transcript: PARTIAL });
    expect(context(h).failureReason).toBeNull();
  });

  it('EXTRACTION_TIMEOUT: aborts the extraction and submits as failed with the reason', async () => {
    const h = createCallHarness();
    await toExtracting(h);
    const extraction = h.only('extractLead');
    await h.advance(DEFAULT_CALL_TIMEOUTS.extractionMs - 1);
    expect(extraction.signal.aborted).toBe(false);
    await h.advance(1);
    expect(value(h)).toEqual({ submitting: 'sending' });
    expect(extraction.signal.aborted).toBe(true);
    expect(h.only('submitLead').input).toMatchObject({
      extraction: null,
      failureReason: 'extraction failed: timeout after 20000 ms',
      transcript: TRANSCRIPT,
    });
    expect(h.milestones()).toContain('lead_extraction_error');
  });

  it('SUBMISSION_TIMEOUT: aborts the submission and records the failed lead', async () => {
    const h = createCallHarness();
    await toSending(h);
    const submission = h.only('submitLead');
    await h.advance(DEFAULT_CALL_TIMEOUTS.submissionMs);
    expect(value(h)).toEqual({ submitting: 'recordingFailure' });
    expect(submission.signal.aborted).toBe(true);
    expect(h.only('recordFailure').input).toMatchObject({
      leadId: 'lead-test',
      extraction: EXTRACTION,
      failureReason: 'submission failed: timeout after 60000 ms',
    });
    await h.resolve('recordFailure', { outcome: 'failed', leadId: 'lead-test', reason: 'submission failed: timeout after 60000 ms' });
    expect(h.actor.getSnapshot().output).toEqual({
      outcome: 'failed',
      leadId: 'lead-test',
      reason: 'submission failed: timeout after 60000 ms',
      endReason: 'goodbye',
    });
  });

  it('a late settlement of an abandoned actor changes nothing', async () => {
    const h = createCallHarness();
    await toExtracting(h);
    const extraction = h.only('extractLead');
    await h.advance(DEFAULT_CALL_TIMEOUTS.extractionMs);
    extraction.resolve(EXTRACTION);
    await h.advance(0);
    expect(value(h)).toEqual({ submitting: 'sending' });
    expect(context(h).extraction).toBeNull();
  });
});

describe('call machine: actor failures', () => {
  it('connectModel fails: apology, model failure with the reason', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.reject('connectModel', new Error('401 invalid api key'));
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('model connection failed: 401 invalid api key');
    expect(h.hangUps()).toEqual([{ apology: true }]);
  });

  it('MODEL_FAILED while conversing: apology, model failure with the reason', async () => {
    const h = createCallHarness();
    await toConversing(h);
    h.relayRuns[0]?.sendBack({ type: 'MODEL_FAILED', reason: 'socket closed 1006' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('model connection lost: socket closed 1006');
    expect(h.hangUps()).toEqual([{ apology: true }]);
    expect(h.relayRuns[0]?.stopped).toBe(true);
  });

  it('MODEL_FAILED during the goodbye: the conversation was complete, no failure reason', async () => {
    const h = createCallHarness();
    await toClosing(h);
    await h.send({ type: 'MODEL_FAILED', reason: 'socket closed 1006' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('goodbye');
    expect(context(h).failureReason).toBeNull();
  });

  it('MODEL_FAILED during the goodbye: hangs up without an apology', async () => {
    const h = createCallHarness();
    await toClosing(h);
    await h.send({ type: 'MODEL_FAILED', reason: 'socket closed 1006' });
    expect(h.hangUps()).toEqual([{ apology: false }]);
  });

  it('MODEL_FAILED before the stream started (pre-warmed socket died): apology, model failure', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.resolve('connectModel');
    await h.send({ type: 'MODEL_FAILED', reason: 'socket closed 1006' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('model connection lost: socket closed 1006');
    expect(h.hangUps()).toEqual([{ apology: true }]);
  });

  it('the relay fails while conversing: apology, model failure with the relay reason, relay ended', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.failRelay(new Error('sink exploded'));
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('relay failed: sink exploded');
    expect(h.hangUps()).toEqual([{ apology: true }]);
    expect(h.relayRuns.filter((r) => !r.stopped && !r.failed)).toHaveLength(0);
  });

  it('the relay fails during the goodbye: keeps the goodbye end reason, still apologises', async () => {
    const h = createCallHarness();
    await toClosing(h);
    await h.failRelay(new Error('sink exploded'));
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('goodbye');
    expect(context(h).failureReason).toBe('relay failed: sink exploded');
    expect(h.hangUps()).toEqual([{ apology: true }]);
  });

  it('awaitTranscript fails: goes on with the transcript so far', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.send({ type: 'TRANSCRIPT_UPDATED', turns: PARTIAL });
    await h.send({ type: 'CALLER_HUNG_UP' });
    await h.reject('awaitTranscript');
    expect(value(h)).toBe('extracting');
    expect(h.only('extractLead').input).toMatchObject({ transcript: PARTIAL });
    expect(context(h).failureReason).toBeNull();
  });

  it('extractLead fails: submits without extraction, as failed with the reason', async () => {
    const h = createCallHarness();
    await toExtracting(h);
    await h.reject('extractLead', new Error('llm 500'));
    expect(value(h)).toEqual({ submitting: 'sending' });
    expect(h.only('submitLead').input).toMatchObject({ extraction: null, failureReason: 'extraction failed: llm 500' });
    expect(h.milestones()).toEqual(['goodbye_detected', 'extracting_lead', 'lead_extraction_error']);
  });

  it('submitLead answers failed: saved-failure with the submitter reason', async () => {
    const h = createCallHarness();
    await toSending(h);
    await h.resolve('submitLead', { outcome: 'failed', leadId: 'lead-test', reason: 'npa 422: zip_code' });
    expect(h.actor.getSnapshot().value).toBe('saved-failure');
    expect(h.actor.getSnapshot().output).toEqual({
      outcome: 'failed',
      leadId: 'lead-test',
      reason: 'npa 422: zip_code',
      endReason: 'goodbye',
    });
    expect(h.pending('recordFailure')).toHaveLength(0);
  });

  it('submitLead throws: records the failure with the reason, saved-failure', async () => {
    const h = createCallHarness();
    await toSending(h);
    await h.reject('submitLead', new Error('db down'));
    expect(value(h)).toEqual({ submitting: 'recordingFailure' });
    expect(h.only('recordFailure').input).toMatchObject({ failureReason: 'submission failed: db down' });
    await h.resolve('recordFailure', { outcome: 'failed', leadId: 'lead-test', reason: 'submission failed: db down' });
    expect(h.actor.getSnapshot().output).toEqual({
      outcome: 'failed',
      leadId: 'lead-test',
      reason: 'submission failed: db down',
      endReason: 'goodbye',
    });
    expect(h.phases()).toEqual(['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-failure']);
  });

  it('recordFailure throws: the lead is lost, and the output says why', async () => {
    const h = createCallHarness();
    await toRecordingFailure(h);
    await h.reject('recordFailure', new Error('db still down'));
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.value).toBe('saved-failure');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({
      outcome: 'lost',
      leadId: 'lead-test',
      reason: 'could not record the failed lead: db still down',
      endReason: 'goodbye',
    });
    expect(h.milestones().at(-1)).toBe('lead_submission_failed');
  });

  it('non-Error rejections still give a readable reason', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.reject('connectModel', 'ECONNREFUSED');
    expect(context(h).failureReason).toBe('model connection failed: ECONNREFUSED');
  });
});

describe('call machine: live context', () => {
  it('keeps the streamSid and the live fields (in any live state)', async () => {
    const h = createCallHarness();
    await toConversing(h);
    expect(context(h).streamSid).toBe('MZ1');
    const fields = { ...EXTRACTION.result.lead, vehicle_model: null };
    await h.send({ type: 'FIELDS_UPDATED', fields });
    expect(context(h).fields).toEqual(fields);
    await h.send({ type: 'CALLER_HUNG_UP' });
    await h.send({ type: 'FIELDS_UPDATED', fields: EXTRACTION.result.lead });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).fields).toEqual(EXTRACTION.result.lead);
  });
});

describe('call machine: session persistence', () => {
  it('persists each phase once, in order, on a model-failure path', async () => {
    const h = createCallHarness();
    h.actor.start();
    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    await h.resolve('connectModel');
    await h.send({ type: 'MODEL_FAILED', reason: 'gone' });
    await h.advance(DEFAULT_CALL_TIMEOUTS.transcriptWaitMs);
    await h.reject('extractLead');
    await h.reject('submitLead');
    await h.reject('recordFailure');
    expect(h.phases()).toEqual(['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-failure']);
    expect(h.actor.getSnapshot().output?.outcome).toBe('lost');
  });

  it('persists the first phase on start, before anything else happens', () => {
    const h = createCallHarness();
    h.actor.start();
    expect(h.actions).toEqual([{ type: 'persistSession', params: { phase: 'connecting' } }]);
  });
});
