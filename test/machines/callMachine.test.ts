import { describe, expect, it } from 'vitest';
import { DEFAULT_CALL_TIMEOUTS, type Extraction, type LeadOutcome } from '../../machines/callTypes.js';
import type { Turn } from '../../src/leads/lead.js';
import { EMPTY_READING, TEST_INPUT, createCallHarness, type CallHarness } from './callMachineHarness.js';

const TRANSCRIPT: Turn[] = [
  { role: 'assistant', text: 'Power Sport Buyers, how can I help?' },
  { role: 'user', text: 'Selling a dirt bike.' },
];
const PARTIAL: Turn[] = [{ role: 'assistant', text: 'Power Sport Buyers, how can I help?' }];
const EXTRACTION: Extraction = {
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
  offline: EMPTY_READING,
  disagreements: [],
  decision: null,
};
const SUCCEEDED: LeadOutcome = { outcome: 'succeeded', leadId: TEST_INPUT.leadId };
/** acceptLead's answer for a lead now pending in the outbox. */
const PENDING: LeadOutcome = { outcome: 'failed', leadId: TEST_INPUT.leadId, pending: true, reason: 'submission pending: not sent yet; the outbox will retry it' };
/** What the machine submits when extraction gave nothing: the live offline reading. */
const FALLBACK: Extraction = { result: EMPTY_READING, source: 'offline', offline: EMPTY_READING, disagreements: [], decision: null };
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

async function toAccepting(h: CallHarness) {
  await toExtracting(h);
  await h.resolve('extractLead', EXTRACTION);
  expect(value(h)).toEqual({ submitting: 'accepting' });
}

async function toDelivering(h: CallHarness) {
  await toAccepting(h);
  await h.resolve('acceptLead', PENDING);
  expect(value(h)).toEqual({ submitting: 'delivering' });
}

async function toSpooling(h: CallHarness) {
  await toAccepting(h);
  await h.reject('acceptLead', new Error('database error: ConnectionException'));
  expect(value(h)).toEqual({ submitting: 'spooling' });
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
    expect(h.conversationRuns).toHaveLength(1);
    expect(h.conversationRuns[0]?.input).toEqual({ callSid: 'CA-test' });

    // The conversation reports back through its own channel, as the real one does.
    h.conversationRuns[0]?.sendBack({ type: 'TRANSCRIPT_UPDATED', turns: PARTIAL });
    h.conversationRuns[0]?.sendBack({ type: 'GOODBYE', via: 'tool' });
    expect(value(h)).toEqual({ streaming: 'closing' });
    expect(context(h).transcript).toEqual(PARTIAL);
    expect(h.hangUps()).toEqual([]);

    await h.send({ type: 'GOODBYE_PLAYED' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(h.hangUps()).toEqual([{ apology: false }]);
    expect(h.conversationRuns[0]?.stopped).toBe(true);
    expect(h.actions.some((a) => a.type === 'closeModel')).toBe(false);

    await h.resolve('awaitTranscript', TRANSCRIPT);
    expect(value(h)).toBe('extracting');
    expect(h.actions.filter((a) => a.type === 'closeModel')).toHaveLength(1);
    expect(h.only('extractLead').input).toEqual({
      callSid: 'CA-test',
      callerPhone: '+15555550123',
      transcript: TRANSCRIPT,
      offline: EMPTY_READING,
      captured: {},
    });

    await h.resolve('extractLead', EXTRACTION);
    expect(value(h)).toEqual({ submitting: 'accepting' });
    expect(h.only('acceptLead').input).toEqual({
      callSid: 'CA-test',
      leadId: 'lead-test',
      callerPhone: '+15555550123',
      transcript: TRANSCRIPT,
      endReason: 'goodbye',
      failureReason: null,
      extraction: EXTRACTION,
      captured: {},
    });

    await h.resolve('acceptLead', PENDING);
    expect(value(h)).toEqual({ submitting: 'delivering' });
    expect(h.only('deliverLead').input).toEqual({ callSid: 'CA-test', leadId: 'lead-test' });
    await h.resolve('deliverLead', SUCCEEDED);
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
    expect(h.conversationRuns).toHaveLength(0);

    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    expect(value(h)).toEqual({ streaming: 'conversing' });
    expect(h.conversationRuns).toHaveLength(1);
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
    expect(h.conversationRuns).toHaveLength(0);
  });

  it('in streaming.conversing: stops the relay and records a caller hang-up', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.send({ type: 'CALLER_HUNG_UP' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('caller-hangup');
    expect(h.conversationRuns[0]?.stopped).toBe(true);
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
    ['submitting.accepting', toAccepting, 'acceptLead'],
    ['submitting.delivering', toDelivering, 'deliverLead'],
    ['submitting.spooling', toSpooling, 'spoolLead'],
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
    expect(h.only('acceptLead').input).toMatchObject({ endReason: 'caller-hangup', failureReason: null, transcript: [] });
    await h.resolve('acceptLead', { outcome: 'failed', leadId: 'lead-test', reason: 'incomplete: caller hung up' });
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
    expect(h.conversationRuns[0]?.stopped).toBe(true);
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
    expect(value(h)).toEqual({ submitting: 'accepting' });
    expect(extraction.signal.aborted).toBe(true);
    expect(h.only('acceptLead').input).toMatchObject({
      extraction: FALLBACK,
      failureReason: 'extraction failed: timeout after 20000 ms',
      transcript: TRANSCRIPT,
    });
    expect(h.milestones()).toContain('lead_extraction_error');
  });

  it('DB_WRITE_TIMEOUT: the database does not take the lead in time, so it is spooled', async () => {
    const h = createCallHarness();
    await toAccepting(h);
    const accepting = h.only('acceptLead');
    await h.advance(DEFAULT_CALL_TIMEOUTS.dbWriteMs - 1);
    expect(accepting.signal.aborted).toBe(false);
    await h.advance(1);
    expect(value(h)).toEqual({ submitting: 'spooling' });
    expect(accepting.signal.aborted).toBe(true);
    expect(h.only('spoolLead').input).toMatchObject({
      leadId: 'lead-test',
      extraction: EXTRACTION,
      failureReason: null,
      storeError: 'database did not answer within 5000 ms',
    });
    const spooled: LeadOutcome = { outcome: 'failed', leadId: 'lead-test', pending: true, reason: 'submission pending: database unavailable; lead kept in the local spool' };
    await h.resolve('spoolLead', spooled);
    expect(h.actor.getSnapshot().output).toEqual({ outcome: 'failed', leadId: 'lead-test', reason: spooled.reason, endReason: 'goodbye' });
  });

  it('SUBMISSION_TIMEOUT while delivering: stops waiting for NPA; the lead stays pending in the outbox', async () => {
    const h = createCallHarness();
    await toDelivering(h);
    const delivery = h.only('deliverLead');
    await h.advance(DEFAULT_CALL_TIMEOUTS.submissionMs);
    expect(value(h)).toBe('saved-failure');
    expect(delivery.signal.aborted).toBe(true);
    expect(context(h).result).toEqual({
      outcome: 'failed',
      leadId: 'lead-test',
      pending: true,
      reason: 'submission pending: timeout after 60000 ms; the outbox will finish it',
    });
    expect(h.actor.getSnapshot().output?.outcome).toBe('failed');
  });

  it('SUBMISSION_TIMEOUT while spooling: the lead is reported lost, with why', async () => {
    const h = createCallHarness();
    await toSpooling(h);
    await h.advance(DEFAULT_CALL_TIMEOUTS.submissionMs);
    expect(h.actor.getSnapshot().output).toEqual({
      outcome: 'lost',
      leadId: 'lead-test',
      reason: 'could not record the lead: the spool did not answer within 60000 ms',
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
    expect(value(h)).toEqual({ submitting: 'accepting' });
    expect(context(h).extraction).toEqual(FALLBACK);
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
    h.conversationRuns[0]?.sendBack({ type: 'MODEL_FAILED', reason: 'socket closed 1006' });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('model connection lost: socket closed 1006');
    expect(h.hangUps()).toEqual([{ apology: true }]);
    expect(h.conversationRuns[0]?.stopped).toBe(true);
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

  it('the conversation fails while conversing: apology, model failure with its reason, conversation ended', async () => {
    const h = createCallHarness();
    await toConversing(h);
    await h.failConversation(new Error('sink exploded'));
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('model-failure');
    expect(context(h).failureReason).toBe('conversation failed: sink exploded');
    expect(h.hangUps()).toEqual([{ apology: true }]);
    expect(h.conversationRuns.filter((r) => !r.stopped && !r.failed)).toHaveLength(0);
  });

  it('the conversation fails during the goodbye: keeps the goodbye end reason, still apologises', async () => {
    const h = createCallHarness();
    await toClosing(h);
    await h.failConversation(new Error('sink exploded'));
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).endReason).toBe('goodbye');
    expect(context(h).failureReason).toBe('conversation failed: sink exploded');
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

  it('extractLead fails: submits the live offline reading, as failed with the reason', async () => {
    const h = createCallHarness();
    await toExtracting(h);
    await h.reject('extractLead', new Error('llm 500'));
    expect(value(h)).toEqual({ submitting: 'accepting' });
    expect(h.only('acceptLead').input).toMatchObject({ extraction: FALLBACK, failureReason: 'extraction failed: llm 500' });
    expect(h.milestones()).toEqual(['goodbye_detected', 'extracting_lead', 'lead_extraction_error']);
  });

  it('acceptLead answers failed (a refused lead): saved-failure with the reason, nothing delivered', async () => {
    const h = createCallHarness();
    await toAccepting(h);
    await h.resolve('acceptLead', { outcome: 'failed', leadId: 'lead-test', reason: 'missing: phone' });
    expect(h.actor.getSnapshot().value).toBe('saved-failure');
    expect(h.actor.getSnapshot().output).toEqual({ outcome: 'failed', leadId: 'lead-test', reason: 'missing: phone', endReason: 'goodbye' });
    expect(h.invocations.filter((i) => i.actorId === 'deliverLead' || i.actorId === 'spoolLead')).toHaveLength(0);
  });

  it('acceptLead answers succeeded (the lead was already delivered): saved-success without sending again', async () => {
    const h = createCallHarness();
    await toAccepting(h);
    await h.resolve('acceptLead', SUCCEEDED);
    expect(h.actor.getSnapshot().value).toBe('saved-success');
    expect(h.invocations.filter((i) => i.actorId === 'deliverLead')).toHaveLength(0);
  });

  it('deliverLead answers failed: saved-failure with the NPA reason', async () => {
    const h = createCallHarness();
    await toDelivering(h);
    await h.resolve('deliverLead', { outcome: 'failed', leadId: 'lead-test', reason: 'NPA API error: 422' });
    expect(h.actor.getSnapshot().output).toEqual({ outcome: 'failed', leadId: 'lead-test', reason: 'NPA API error: 422', endReason: 'goodbye' });
  });

  it('deliverLead throws: the lead is durable in the outbox, so the call reports it pending', async () => {
    const h = createCallHarness();
    await toDelivering(h);
    await h.reject('deliverLead', new Error('db gone'));
    expect(context(h).result).toEqual({ outcome: 'failed', leadId: 'lead-test', pending: true, reason: 'submission pending: db gone; the outbox will finish it' });
  });

  it('acceptLead throws: the lead goes to the spool with the original refusal inputs and the store error', async () => {
    const h = createCallHarness();
    await toSpooling(h);
    expect(h.only('spoolLead').input).toMatchObject({ failureReason: null, extraction: EXTRACTION, storeError: 'database error: ConnectionException' });
    await h.resolve('spoolLead', { outcome: 'failed', leadId: 'lead-test', pending: true, reason: 'submission pending: database unavailable' });
    expect(h.actor.getSnapshot().output).toEqual({
      outcome: 'failed',
      leadId: 'lead-test',
      reason: 'submission pending: database unavailable',
      endReason: 'goodbye',
    });
    expect(h.phases()).toEqual(['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-failure']);
  });

  it('spoolLead throws: the lead is lost, and the output says why', async () => {
    const h = createCallHarness();
    await toSpooling(h);
    await h.reject('spoolLead', new Error('ENOSPC'));
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.value).toBe('saved-failure');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({ outcome: 'lost', leadId: 'lead-test', reason: 'could not record the lead: ENOSPC', endReason: 'goodbye' });
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
  it('keeps the streamSid and the live reading (in any live state)', async () => {
    const h = createCallHarness();
    await toConversing(h);
    expect(context(h).streamSid).toBe('MZ1');
    expect(context(h).reading).toEqual(EMPTY_READING);
    const partial = { ...EXTRACTION.result, lead: { ...EXTRACTION.result.lead, vehicle_model: null }, complete: false, missing: ['vehicle_model' as const] };
    await h.send({ type: 'FIELDS_UPDATED', reading: partial });
    expect(context(h).reading).toEqual(partial);
    await h.send({ type: 'CALLER_HUNG_UP' });
    await h.send({ type: 'FIELDS_UPDATED', reading: EXTRACTION.result });
    expect(value(h)).toBe('awaiting-transcript');
    expect(context(h).reading).toEqual(EXTRACTION.result);
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
    await h.reject('acceptLead');
    await h.reject('spoolLead');
    expect(h.phases()).toEqual(['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-failure']);
    expect(h.actor.getSnapshot().output?.outcome).toBe('lost');
  });

  it('persists the first phase on start, before anything else happens', () => {
    const h = createCallHarness();
    h.actor.start();
    expect(h.actions).toEqual([{ type: 'persistSession', params: { phase: 'connecting' } }]);
  });
});
