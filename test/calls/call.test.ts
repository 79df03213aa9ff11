import { decideNow } from '../../src/extraction/fieldVote.js';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Call } from '../../src/calls/call.js';
import type { Extraction, ExtractOptions, Extractor } from '../../src/extraction/extractor.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import type { Conversation, Turn } from '../../src/leads/lead.js';
import { GREETING_PROMPT } from '../../src/realtime/agentInstructions.js';
import { CallBench, conversationEvents, startCallLab, type CallLab } from '../support/callLab.js';
import type { FakeConnectionSocket } from '../support/fakeModelConnector.js';
import { LeadRefusals } from '../support/leadRefusals.js';
import { capturingLogger } from '../support/logLines.js';
import { FakeTwilioSink, modelEvents as m, numberedFrame } from '../support/relayFakes.js';
import { SessionWrites } from '../support/sessionWrites.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * One call through `Call` and the real implementations of its machine (callActors): the model's socket and
 * Twilio's legs are in-memory fakes of their interfaces (relayFakes, fakeModelConnector), everything behind the
 * call is real: CallSession and the repositories on a PostgreSQL test database, LeadIntake, the outbox, the local
 * spool, the fake NPA server, the offline extractor. Every timeout is far away (CALM_TIMEOUTS) unless a test is
 * about it, so a call ends only by what the test does.
 */

const STREAM_SID = 'MZ00000000000000000000000000000001';
const sample = sampleConversation('public-01.json');
const EXPECTED_LEAD = {
  full_name: 'John Carter',
  zip_code: '30093',
  phone: '+14045550111',
  vehicle_year: 2019,
  vehicle_make: 'Harley-Davidson',
  vehicle_model: 'Street Glide',
};
/** The refusal's problems part for a call in which the caller said nothing. */
const NOTHING_GIVEN = 'missing: full_name, zip_code, phone, vehicle_year, vehicle_make, vehicle_model';
/** The sample up to (not including) its goodbye turn, which a call that ends early never reaches. */
const beforeGoodbye: Turn[] = sample.turns.slice(0, -1);

let database: TestDatabase;
let lab: CallLab;
let bench: CallBench;
let writes: SessionWrites;
let refusals: LeadRefusals;
const extraLabs: CallLab[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startCallLab(database);
  bench = new CallBench(lab.deps);
  writes = await SessionWrites.install(database.db);
  refusals = await LeadRefusals.install(database.db);
});
afterAll(async () => {
  for (const extra of extraLabs) await extra.close();
  await lab?.close();
  await database?.close();
});
beforeEach(() => {
  lab.connector.behaviour = 'open';
  lab.connector.answerSessionUpdate = true;
  lab.callControl.failWith = null;
});

const newCallSid = (): string => `CA${randomUUID().replaceAll('-', '')}`;
const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 10_000, interval: 5 });

async function otherLab(options: Parameters<typeof startCallLab>[1]): Promise<{ lab: CallLab; bench: CallBench }> {
  const extra = await startCallLab(database, options);
  extraLabs.push(extra);
  return { lab: extra, bench: new CallBench(extra.deps) };
}

interface Started {
  call: Call;
  callSid: string;
  leadId: string;
  sink: FakeTwilioSink;
  socket: FakeConnectionSocket;
}

/** A call with both legs up and the greeting asked for: the model session is ready, then Twilio's stream starts. */
async function conversingCall(on: { lab: CallLab; bench: CallBench } = { lab, bench }, timeouts = {}): Promise<Started> {
  const callSid = newCallSid();
  const leadId = randomUUID();
  const before = on.lab.connector.connections.length;
  const call = on.bench.start({ callSid, callerPhone: sample.callerPhone, leadId, timeouts });
  const { socket } = await eventually(() => on.lab.connector.connection(before));
  await eventually(() => expect(call.actor.getSnapshot().context.modelReady).toBe(true));
  const sink = new FakeTwilioSink();
  call.attachStream(sink, STREAM_SID);
  await eventually(() => expect(call.stateName()).toBe('streaming.conversing'));
  return { call, callSid, leadId, sink, socket };
}

/** The agent calls end_call; the goodbye's mark goes to Twilio. Returns the mark's name. */
async function agentSaysGoodbye({ call, sink, socket }: Started): Promise<string> {
  socket.receive(m.endCall('call_end'));
  await eventually(() => expect(call.stateName()).toBe('streaming.closing'));
  const mark = sink.markNames().at(-1);
  if (mark === undefined) throw new Error('no goodbye mark sent');
  return mark;
}

const clientEventTypes = (socket: FakeConnectionSocket): string[] => socket.events().map((e) => e.type);
const sessionOf = async (callSid: string) => (await lab.repos.sessions.getByKey(callSid))?.state as Record<string, unknown> | undefined;

describe('Call: a whole call', () => {
  it('greets once both legs are up, relays the caller, and ends a goodbye as a sent lead with its session row', async () => {
    const callSid = newCallSid();
    const leadId = randomUUID();
    const before = lab.connector.connections.length;
    const call = bench.start({ callSid, callerPhone: sample.callerPhone, leadId });

    // The model leg comes up first: configured, and the greeting asked for at once, before anyone is on the line.
    const { socket, signal } = await eventually(() => lab.connector.connection(before));
    await eventually(() => expect(call.actor.getSnapshot().context.modelReady).toBe(true));
    expect(socket.sent[0]).toBe(lab.deps.sessionUpdate);
    await eventually(() => expect(clientEventTypes(socket)).toEqual(['session.update', 'response.create']));
    expect(call.stateName()).toBe('connecting');
    // Its audio, produced before Twilio's stream exists, is held for it.
    socket.receive(JSON.stringify({ type: 'response.output_audio.delta', item_id: 'item-greeting', delta: numberedFrame(9), response_id: 'r0', output_index: 0, content_index: 0 }));

    const sink = new FakeTwilioSink();
    call.attachStream(sink, STREAM_SID);
    // The held greeting leaves the moment the stream attaches, first of all.
    expect(sink.outbound()[0]).toMatchObject({ event: 'media', media: { payload: numberedFrame(9) } });
    expect(call.relay.timeToGreetingMs()).not.toBeNull();
    await eventually(() => expect(call.stateName()).toBe('streaming.conversing'));
    // Asked for once: the conversation's start finds it already asked for.
    expect(socket.events().filter((e) => e.type === 'response.create')).toEqual([
      { type: 'response.create', response: { instructions: GREETING_PROMPT } },
    ]);
    expect(sink.closed).toBe(false);

    const callerFrames = [1, 2, 3].map((n) => numberedFrame(n));
    for (const frame of callerFrames) call.relay.onCallerAudio(frame);
    expect(socket.events().filter((e) => e.type === 'input_audio_buffer.append')).toEqual(
      callerFrames.map((audio) => ({ type: 'input_audio_buffer.append', audio })),
    );

    socket.receive(...conversationEvents(sample.turns));
    // The agent's audio went to Twilio, and every turn is in the session row while the call is still live.
    expect(sink.outbound().filter((f) => f.event === 'media')).toHaveLength(1 + sample.turns.filter((t) => t.role === 'assistant').length);
    await eventually(async () =>
      expect(await sessionOf(callSid)).toMatchObject({ phase: 'streaming', transcript: sample.turns }),
    );

    const goodbyeMark = await agentSaysGoodbye({ call, callSid, leadId, sink, socket });
    expect(socket.events().at(-1)).toEqual({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_end', output: '{"ok":true}' },
    });
    // The goodbye is still playing: nothing is hung up yet.
    expect(sink.closed).toBe(false);
    expect(lab.callControl.ended).not.toContain(callSid);

    call.relay.onTwilioMark(goodbyeMark);
    await eventually(() => expect(sink.closed).toBe(true));
    expect(lab.callControl.ended.filter((sid) => sid === callSid)).toHaveLength(1);

    const output = await call.done;
    expect(output).toEqual({ outcome: 'succeeded', leadId, reason: null, endReason: 'goodbye' });
    expect(call.apology()).toBe(false);
    expect(socket.closeCalls).toBe(1);
    expect(signal.aborted).toBe(false);

    expect((await lab.repos.succeeded.get(leadId))?.leadData).toEqual(EXPECTED_LEAD);
    const sent = lab.npa.requests.filter((r) => r.headers['idempotency-key'] === leadId);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toMatchObject({ external_id: callSid, channel: 'voice', first_name: 'John', last_name: 'Carter' });

    const state = await sessionOf(callSid);
    expect(state).toMatchObject({
      phase: 'saved-success',
      outcome: 'succeeded',
      callSid,
      leadId,
      callerPhone: sample.callerPhone,
      endReason: 'goodbye',
      failureReason: null,
      transcript: sample.turns,
      fields: EXPECTED_LEAD,
      extraction: { source: 'offline', complete: true, missing: [] },
    });
    expect(Object.keys(state?.['timings'] as object).sort()).toEqual(
      ['connecting', 'streaming', 'awaiting-transcript', 'extracting', 'submitting', 'saved-success'].sort(),
    );

    // Over: late events are ignored, not sent to a stopped actor (which xstate would warn about on the console).
    call.callerHungUp();
    call.send({ type: 'GOODBYE', via: 'phrase' });
    expect(call.stateName()).toBe('saved-success');
  });

  it('asks for the greeting when the stream comes first and the model session after it', async () => {
    lab.connector.answerSessionUpdate = false;
    const callSid = newCallSid();
    const before = lab.connector.connections.length;
    const call = bench.start({ callSid, leadId: randomUUID() });
    const { socket } = await eventually(() => lab.connector.connection(before));
    await eventually(() => expect(socket.sent).toEqual([lab.deps.sessionUpdate]));

    const sink = new FakeTwilioSink();
    call.attachStream(sink, STREAM_SID);
    expect(sink.closed).toBe(false);
    expect(call.stateName()).toBe('connecting');
    expect(call.actor.getSnapshot().context).toMatchObject({ streamStarted: true, streamSid: STREAM_SID, modelReady: false });
    expect(clientEventTypes(socket)).not.toContain('response.create');

    socket.receive(m.sessionUpdated());
    await eventually(() => expect(call.stateName()).toBe('streaming.conversing'));
    expect(clientEventTypes(socket).filter((t) => t === 'response.create')).toHaveLength(1);

    call.callerHungUp();
    const output = await call.done;
    expect(output).toMatchObject({ outcome: 'failed', endReason: 'caller-hangup', reason: `incomplete: caller hung up before giving any details; ${NOTHING_GIVEN}` });
    // The caller hung up: no REST hang-up is needed, and the model socket is closed.
    expect(lab.callControl.ended).not.toContain(callSid);
    expect(socket.closeCalls).toBe(1);
  });

  it('a model socket that drops mid-call: apology, no REST hang-up, a failed lead with the reason and the transcript', async () => {
    const started = await conversingCall();
    const { call, callSid, leadId, sink, socket } = started;
    socket.receive(...conversationEvents(beforeGoodbye));
    expect(call.apology()).toBe(false);

    socket.drop('socket closed (1006)');
    await eventually(() => expect(sink.closed).toBe(true));
    expect(call.apology()).toBe(true);

    const output = await call.done;
    expect(output).toEqual({ outcome: 'failed', leadId, reason: 'model connection lost: socket closed (1006)', endReason: 'model-failure' });
    expect(lab.callControl.ended).not.toContain(callSid);
    expect(call.apology()).toBe(true);

    // Complete as it is, the lead is still not sent: the reason is the failure.
    expect(await lab.repos.failed.get(leadId)).toMatchObject({
      errorMessage: 'model connection lost: socket closed (1006)',
      leadData: EXPECTED_LEAD,
      attempts: 0,
    });
    expect(await lab.repos.succeeded.get(leadId)).toBeNull();
    expect(lab.npa.requests.filter((r) => r.headers['idempotency-key'] === leadId)).toEqual([]);
    expect(await sessionOf(callSid)).toMatchObject({
      phase: 'saved-failure',
      outcome: 'failed',
      endReason: 'model-failure',
      failureReason: 'model connection lost: socket closed (1006)',
      transcript: beforeGoodbye,
    });
  });

  it('after the conversation, a model socket closing is no failure: a caller hang-up stays a hang-up without apology', async () => {
    const { call, callSid, sink, socket } = await conversingCall(undefined, { transcriptWaitMs: 60_000 });
    // A caller turn still being transcribed keeps the call in awaiting-transcript with the model socket open.
    socket.receive(...conversationEvents(beforeGoodbye.slice(0, 2), { pendingCaller: [1] }));
    call.callerHungUp();
    await eventually(() => expect(call.stateName()).toBe('awaiting-transcript'));
    // The conversation is over for the relay too: a late end_call plays no goodbye on the stream.
    const framesBefore = sink.frames.length;
    socket.receive(m.endCall('call_late'));
    expect(sink.frames).toHaveLength(framesBefore);
    socket.drop('socket closed (1006)');

    const output = await call.done;
    expect(output.endReason).toBe('caller-hangup');
    expect(call.apology()).toBe(false);
    expect(sink.closed).toBe(false); // Twilio hung up itself; nothing to close
    expect(lab.callControl.ended).not.toContain(callSid);
    expect(await sessionOf(callSid)).toMatchObject({ phase: 'saved-failure', endReason: 'caller-hangup', failureReason: null });
  });
});

describe('Call: live capture (record_lead_field)', () => {
  it('writes each accepted field to the session row while the call is live, and hands the capture to extraction', async () => {
    const { call, callSid, sink, socket, leadId } = await conversingCall();
    socket.receive(
      m.recordLeadField('call_rf1', { field: 'zip_code', value: '99501' }),
      m.responseDone(),
      m.recordLeadField('call_rf2', { field: 'zip_code', value: '30093' }),
      m.responseDone(),
      m.recordLeadField('call_rf3', { field: 'phone', value: 'CALLER_ID' }),
      m.responseDone(),
    );
    const zip = { value: '30093', at: expect.any(String), attempts: 2 };
    const phone = { value: sample.callerPhone, at: expect.any(String), attempts: 1 };
    // Durable before the call ends: a process that died now would leave them for the sweep.
    await eventually(async () => expect(await sessionOf(callSid)).toMatchObject({ phase: 'streaming', captured: { zip_code: zip, phone } }));
    expect(call.stateName()).toBe('streaming.conversing');
    expect(call.actor.getSnapshot().context.captured).toEqual({ zip_code: zip, phone });
    // Each output was answered with a response.create, after its response was done.
    expect(socket.events().filter((e) => e.type === 'response.create')).toHaveLength(1 + 3);

    // Every field is in the live reading: the first end_call ends the call.
    socket.receive(...conversationEvents(sample.turns));
    call.relay.onTwilioMark(await agentSaysGoodbye({ call, callSid, leadId, sink, socket }));
    const output = await call.done;
    expect(output.outcome).toBe('succeeded');
    expect(await sessionOf(callSid)).toMatchObject({ phase: 'saved-success', captured: { zip_code: zip, phone } });
  });
});

describe('Call: connecting the model (connectModel)', () => {
  it('a connect that fails: apology, a failed lead with the connector error, and a later stream is closed at once', async () => {
    lab.connector.behaviour = 'fail';
    const callSid = newCallSid();
    const leadId = randomUUID();
    const call = bench.start({ callSid, leadId });
    const output = await call.done;
    expect(output).toEqual({
      outcome: 'failed',
      leadId,
      reason: `model connection failed: model connection refused: HTTP 503; ${NOTHING_GIVEN}`,
      endReason: 'model-failure',
    });
    expect(call.apology()).toBe(true);
    expect(lab.callControl.ended).not.toContain(callSid);
    expect((await lab.repos.failed.get(leadId))?.errorMessage).toBe(output.reason);

    const late = new FakeTwilioSink();
    call.attachStream(late, STREAM_SID);
    expect(late.closed).toBe(true);
    expect(call.actor.getSnapshot().context.streamSid).toBeNull();
  });

  it('a connect that hangs past MODEL_CONNECT_TIMEOUT is aborted, and a socket that opens after is closed unused', async () => {
    lab.connector.behaviour = 'hang-past-abort';
    const callSid = newCallSid();
    const leadId = randomUUID();
    const before = lab.connector.connections.length;
    const call = bench.start({ callSid, leadId, timeouts: { modelConnectMs: 100 } });
    const connection = await eventually(() => lab.connector.connection(before));
    expect(connection.signal.aborted).toBe(false);

    const output = await call.done;
    expect(output).toMatchObject({ outcome: 'failed', reason: `model connection failed: timeout after 100 ms; ${NOTHING_GIVEN}`, endReason: 'model-failure' });
    expect(call.apology()).toBe(true);
    expect(connection.signal.aborted).toBe(true);

    connection.open();
    await eventually(() => expect(connection.socket.closeCalls).toBe(1));
    expect(connection.socket.sent).toEqual([]); // never configured: nobody is listening to it
  });
});

describe('Call: streams', () => {
  it('closes at once a stream attached after the call left streaming, and leaves the call as it was', async () => {
    let releaseExtraction!: () => void;
    const extractionHeld = new Promise<void>((resolve) => (releaseExtraction = resolve));
    const offline = lab.deps.extractor;
    const held = await otherLab({
      extractor: {
        async extract(conversation, options) {
          await extractionHeld;
          return offline.extract(conversation, options);
        },
      },
    });
    const { call, sink, socket } = await conversingCall(held);
    socket.receive(...conversationEvents(beforeGoodbye));
    call.callerHungUp();
    await eventually(() => expect(call.stateName()).toBe('extracting'));

    const again = new FakeTwilioSink();
    call.attachStream(again, 'MZ00000000000000000000000000000002');
    expect(again.closed).toBe(true);
    expect(call.stateName()).toBe('extracting');
    expect(call.actor.getSnapshot().context.streamSid).toBe(STREAM_SID);
    // Nothing reaches the refused stream.
    socket.receive(m.audioDelta('late', numberedFrame(99)));
    expect(again.frames).toEqual([]);

    releaseExtraction();
    await call.done;
    const afterDone = new FakeTwilioSink();
    call.attachStream(afterDone, 'MZ00000000000000000000000000000003');
    expect(afterDone.closed).toBe(true);
    expect(sink.closed).toBe(false);
  });
});

describe('Call: the goodbye and the transcript (hangUp, awaitTranscript, closeModel)', () => {
  it('waits for a caller turn still being transcribed when the goodbye has played, and submits it', async () => {
    const started = await conversingCall();
    const { call, callSid, leadId, socket, sink } = started;
    const lastCaller = beforeGoodbye.length - 1; // "That's right."
    socket.receive(...conversationEvents(beforeGoodbye, { pendingCaller: [lastCaller] }));
    const mark = await agentSaysGoodbye(started);
    call.relay.onTwilioMark(mark);
    await eventually(() => expect(sink.closed).toBe(true));
    expect(call.stateName()).toBe('awaiting-transcript');
    expect(socket.closeCalls).toBe(0); // the transcription still has to come over it

    socket.receive(m.callerTranscript(`item_${lastCaller}`, beforeGoodbye[lastCaller]?.text ?? ''));
    const output = await call.done;
    expect(output).toMatchObject({ outcome: 'succeeded', endReason: 'goodbye' });
    expect(socket.closeCalls).toBe(1);
    expect(lab.callControl.ended).toContain(callSid);
    expect(await sessionOf(callSid)).toMatchObject({ phase: 'saved-success', transcript: beforeGoodbye });
    expect((await lab.repos.succeeded.get(leadId))?.leadData).toEqual(EXPECTED_LEAD);
  });

  it('logs a REST hang-up that fails, and the call still ends', async () => {
    const { logger, lines } = capturingLogger('warn');
    const quiet = await otherLab({ logger });
    quiet.lab.callControl.failWith = new Error('Twilio REST 503');
    const started = await conversingCall(quiet);
    started.socket.receive(...conversationEvents(sample.turns));
    started.call.relay.onTwilioMark(await agentSaysGoodbye(started));

    const output = await started.call.done;
    expect(output.outcome).toBe('succeeded');
    expect(quiet.lab.callControl.ended).toEqual([started.callSid]);
    expect(lines.filter((l) => l.msg === 'REST hang-up failed')).toEqual([
      expect.objectContaining({ level: 40, err: 'Twilio REST 503', callSid: started.callSid }),
    ]);
  });
});

describe('Call: extraction (extractLead)', () => {
  it('hands the extractor the transcript, the caller phone, the live offline reading and a signal; its lead is the one sent', async () => {
    const seen: Array<{ conversation: Conversation; options: ExtractOptions | undefined }> = [];
    const llmLike: Extractor = {
      async extract(conversation, options) {
        seen.push({ conversation, options });
        const offline = options?.offline ?? extractOffline(conversation);
        const result = { ...offline, lead: { ...offline.lead, vehicle_model: 'Road Glide' } };
        // Its own verdict: the lead it decided (a null decision would mean "no vote taken", and the call's own).
        const decision = decideNow({ offline: result.lead });
        return { result, source: 'llm', offline, disagreements: [{ field: 'vehicle_model', llm: 'Road Glide', offline: 'Street Glide' }], decision } satisfies Extraction;
      },
    };
    const on = await otherLab({ extractor: llmLike });
    const started = await conversingCall(on);
    started.socket.receive(...conversationEvents(sample.turns));
    started.call.relay.onTwilioMark(await agentSaysGoodbye(started));
    const output = await started.call.done;

    expect(seen).toHaveLength(1);
    const [{ conversation, options }] = seen as [(typeof seen)[number]];
    expect(conversation).toEqual({ callerPhone: sample.callerPhone, turns: sample.turns });
    expect(options?.offline).toEqual(extractOffline({ callerPhone: sample.callerPhone, turns: sample.turns }));
    expect(options?.signal).toBeInstanceOf(AbortSignal);
    expect(options?.signal?.aborted).toBe(false);

    expect(output.outcome).toBe('succeeded');
    expect((await on.lab.repos.succeeded.get(started.leadId))?.leadData).toEqual({ ...EXPECTED_LEAD, vehicle_model: 'Road Glide' });
    expect(await sessionOf(started.callSid)).toMatchObject({
      fields: { vehicle_model: 'Road Glide' },
      extraction: { source: 'llm', disagreements: [{ field: 'vehicle_model', llm: 'Road Glide', offline: 'Street Glide' }] },
    });
  });

  it('aborts an extraction past EXTRACTION_TIMEOUT and saves the live reading as a failed lead', async () => {
    const signals: AbortSignal[] = [];
    const hanging: Extractor = {
      extract: (_conversation, options) =>
        new Promise<Extraction>(() => {
          if (options?.signal) signals.push(options.signal);
        }),
    };
    const on = await otherLab({ extractor: hanging });
    const started = await conversingCall(on, { extractionMs: 100 });
    started.socket.receive(...conversationEvents(sample.turns));
    started.call.relay.onTwilioMark(await agentSaysGoodbye(started));
    const output = await started.call.done;

    expect(output).toMatchObject({ outcome: 'failed', reason: 'extraction failed: timeout after 100 ms', endReason: 'goodbye' });
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    // What the caller said reached the lead anyway: the live reading kept from the turns as they came.
    expect(await on.lab.repos.failed.get(started.leadId)).toMatchObject({
      errorMessage: 'extraction failed: timeout after 100 ms',
      leadData: EXPECTED_LEAD,
    });
  });
});

describe('Call: submission (acceptLead, deliverLead, spoolLead)', () => {
  it('sends a complete lead through the intake: one NPA request under the lead id, one succeeded row', async () => {
    const started = await conversingCall();
    started.socket.receive(...conversationEvents(sample.turns));
    started.call.relay.onTwilioMark(await agentSaysGoodbye(started));
    await started.call.done;
    expect(lab.npa.accepted.get(started.leadId)?.body).toMatchObject({ external_id: started.callSid, zip_code: '30093' });
    expect(await lab.repos.failed.get(started.leadId)).toBeNull();
    expect((await lab.repos.succeeded.get(started.leadId))?.sessionId).toBe((await lab.repos.sessions.getByKey(started.callSid))?.id);
  });

  it('keeps a lead the database refuses in the local spool, with a reason that carries no bound values', async () => {
    const started = await conversingCall();
    await refusals.refuse(started.callSid, 'lead_outbox', 1);
    started.socket.receive(...conversationEvents(sample.turns));
    started.call.relay.onTwilioMark(await agentSaysGoodbye(started));
    const output = await started.call.done;

    expect(output.outcome).toBe('failed');
    expect(output.reason).toMatch(
      /^submission pending: database unavailable \(database error: \w+ \(SQLSTATE \w+\)\); lead kept in the local spool$/,
    );
    expect(output.reason).not.toContain('0111');
    const spooled = (await readFile(lab.spool.path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; sessionKey: string; lead: unknown; refusal: unknown; sessionState: Record<string, unknown> });
    expect(spooled.filter((r) => r.id === started.leadId)).toEqual([
      expect.objectContaining({
        sessionKey: started.callSid,
        lead: EXPECTED_LEAD,
        refusal: null,
        sessionState: expect.objectContaining({ phase: 'saved-failure', spooled: true, endReason: 'goodbye', transcript: sample.turns }),
      }),
    ]);
    expect(await lab.repos.succeeded.get(started.leadId)).toBeNull();
    const state = await sessionOf(started.callSid);
    expect(state).toMatchObject({ phase: 'saved-failure', spooled: true });
    // Pending, not failed: the outcome is the spool replay's to write.
    expect(state).not.toHaveProperty('outcome');
  });
});

describe('Call: done', () => {
  it('resolves only once the final phase is written', async () => {
    lab.connector.behaviour = 'fail';
    const callSid = newCallSid();
    const held = await writes.hold(callSid, 'saved-failure');
    const call = bench.start({ callSid, leadId: randomUUID() });
    let resolved = false;
    void call.done.then(() => (resolved = true));

    // The machine is over and its last write is parked in the database: the call is not done yet.
    await eventually(() => expect(call.actor.getSnapshot().status).toBe('done'));
    await eventually(async () => expect(await writes.writeIsHeld()).toBe(true));
    expect(resolved).toBe(false);

    await held.release();
    await call.done;
    expect(await sessionOf(callSid)).toMatchObject({ phase: 'saved-failure' });
  });

  it('resolves as lost when the call actor crashes, and logs it', async () => {
    const { logger, lines } = capturingLogger('error');
    const on = await otherLab({ logger });
    const started = await conversingCall(on);
    // An implementation that throws (here the hang-up, through a Twilio leg whose close throws) crashes the actor.
    started.call.relay.attachTwilio(
      { send: () => undefined, close: () => { throw new Error('stream close failed'); } },
      STREAM_SID,
    );
    started.socket.drop();
    expect(await started.call.done).toEqual({ outcome: 'lost', leadId: started.leadId, reason: 'stream close failed', endReason: null });
    expect(started.call.actor.getSnapshot().status).toBe('error');
    expect(lines).toEqual([expect.objectContaining({ msg: 'call actor crashed', err: 'stream close failed', callSid: started.callSid })]);
  });
});
