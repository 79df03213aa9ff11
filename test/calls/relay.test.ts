import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../machines/callMachine.js';
import type { ExtractionResult } from '../../src/leads/lead.js';
import { CallRelay, MAX_MODEL_BACKLOG_BYTES, MAX_PENDING_CALLER_FRAMES, MAX_WAIT_SAMPLES } from '../../src/calls/relay.js';
import { createLogger } from '../../src/log.js';
import { GREETING_PROMPT } from '../../src/realtime/agentInstructions.js';
import { buildSessionUpdate } from '../../src/realtime/sessionConfig.js';
import { INAUDIBLE } from '../../src/realtime/transcriptAssembler.js';
import { parseTwilioMessage, type TwilioOutbound } from '../../src/twilio/mediaStreamMessages.js';
import {
  FakeModelSocket,
  FakeTwilioSink,
  modelEvents as m,
  numberedFrame,
  parseOutbound,
  plainTwilioSink,
  serverEvent,
  twilioInboundMark,
  twilioInboundMedia,
} from '../support/relayFakes.js';

const STREAM_SID = 'MZ0123456789abcdef0123456789abcdef';
const SESSION_UPDATE = JSON.stringify(buildSessionUpdate({ voice: 'alloy' }));

function setup(options: { logLines?: string[] } = {}) {
  let t = 50_000;
  const clock = {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
  const events: CallEvent[] = [];
  const logger =
    options.logLines === undefined
      ? createLogger('silent')
      : createLogger('warn', { write: (line: string) => options.logLines?.push(line) } as unknown as NodeJS.WritableStream);
  const relay = new CallRelay({ logger, sessionUpdate: SESSION_UPDATE, notify: (e) => events.push(e), now: clock.now });
  const twilio = new FakeTwilioSink();
  const model = new FakeModelSocket();
  let chunk = 0;
  /** A Twilio frame, parsed and routed the way the media stream socket does it. */
  const fromTwilio = (raw: string): void => {
    const message = parseTwilioMessage(raw);
    if (message.event === 'media') relay.onCallerAudio(message.media.payload);
    else if (message.event === 'mark') relay.onTwilioMark(message.mark.name);
    else throw new Error(`test sent an unexpected Twilio frame: ${raw}`);
  };
  const callerSays = (payload: string): void => fromTwilio(twilioInboundMedia(STREAM_SID, chunk++, payload));
  const echoMark = (name: string): void => fromTwilio(twilioInboundMark(STREAM_SID, name));
  const fromModel = (...raw: string[]): void => {
    for (const r of raw) relay.onModelMessage(r);
  };
  const ofType = <T extends CallEvent['type']>(type: T) =>
    events.filter((e): e is Extract<CallEvent, { type: T }> => e.type === type);
  return { relay, twilio, model, events, clock, callerSays, echoMark, fromModel, ofType };
}

/** The audio of every input_audio_buffer.append the model received, in order. */
function appended(model: FakeModelSocket): string[] {
  return model.events().flatMap((e) => (e.type === 'input_audio_buffer.append' ? [e['audio'] as string] : []));
}

const media = (payload: string): TwilioOutbound => ({ event: 'media', streamSid: STREAM_SID, media: { payload } });
const mark = (name: string): TwilioOutbound => ({ event: 'mark', streamSid: STREAM_SID, mark: { name } });

/** Resolves true when `promise` has settled once pending callbacks and I/O have run. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('CallRelay: caller audio into the model', () => {
  it('sends each caller frame as input_audio_buffer.append, in arrival order, after the session.update', () => {
    const { relay, model, callerSays } = setup();
    relay.attachModel(model);
    const frames = Array.from({ length: 30 }, (_, n) => numberedFrame(n));
    for (const f of frames) callerSays(f);

    expect(model.sent[0]).toBe(SESSION_UPDATE);
    expect(model.events().slice(1)).toEqual(frames.map((audio) => ({ type: 'input_audio_buffer.append', audio })));
    expect(relay.counters).toMatchObject({ callerFrames: 30, callerFramesDropped: 0 });
  });

  it('keeps caller audio that arrives before the model socket and flushes it in order right after session.update', () => {
    const { relay, model, callerSays } = setup();
    const early = [0, 1, 2].map((n) => numberedFrame(n));
    for (const f of early) callerSays(f);
    expect(model.sent).toEqual([]);

    relay.attachModel(model);
    const late = numberedFrame(3);
    callerSays(late);

    expect(model.events().map((e) => e.type)).toEqual([
      'session.update',
      'input_audio_buffer.append',
      'input_audio_buffer.append',
      'input_audio_buffer.append',
      'input_audio_buffer.append',
    ]);
    expect(model.sent[0]).toBe(SESSION_UPDATE);
    expect(appended(model)).toEqual([...early, late]);
    expect(relay.counters).toMatchObject({ callerFrames: 4, callerFramesDropped: 0 });
  });

  it(`keeps at most ${MAX_PENDING_CALLER_FRAMES} frames before the model opens: the oldest go, and are counted`, () => {
    const { relay, model, callerSays } = setup();
    const extra = 7;
    const frames = Array.from({ length: MAX_PENDING_CALLER_FRAMES + extra }, (_, n) => numberedFrame(n));
    for (const f of frames) callerSays(f);
    expect(relay.counters).toMatchObject({ callerFrames: frames.length, callerFramesDropped: extra });

    relay.attachModel(model);
    expect(model.sent[0]).toBe(SESSION_UPDATE);
    expect(appended(model)).toEqual(frames.slice(extra));
  });

  it('drops and counts caller frames while the model backlog is over the limit or the socket refuses them', () => {
    const { relay, model, callerSays } = setup();
    relay.attachModel(model);
    const frames = [0, 1, 2, 3].map((n) => numberedFrame(n));

    model.backlogBytes = MAX_MODEL_BACKLOG_BYTES; // at the limit: still sent
    callerSays(frames[0] as string);
    model.backlogBytes = MAX_MODEL_BACKLOG_BYTES + 1;
    callerSays(frames[1] as string);
    model.backlogBytes = 0;
    model.open = false; // send() returns false
    callerSays(frames[2] as string);
    model.open = true;
    callerSays(frames[3] as string);

    expect(appended(model)).toEqual([frames[0], frames[3]]);
    expect(relay.counters).toMatchObject({ callerFrames: 4, callerFramesDropped: 2 });
  });
});

describe('CallRelay: agent audio to Twilio', () => {
  it('sends audio deltas as media frames in order, a mark every 100 ms of audio in the same write, and one at the end', () => {
    const { relay, twilio, model, fromModel } = setup();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    const deltas = Array.from({ length: 20 }, (_, n) => numberedFrame(n)); // 20 x 20 ms
    for (const d of deltas) fromModel(m.audioDelta('item_a1', d));
    fromModel(m.audioDone('item_a1'));

    const marks = twilio.markNames();
    expect(marks).toHaveLength(5);
    expect(new Set(marks).size).toBe(5);
    // Progress marks after the chunk that ends at 20, 120, 220 and 320 ms of audio; the final one after 400 ms.
    const markAfterChunk = new Map([
      [0, marks[0]],
      [5, marks[1]],
      [10, marks[2]],
      [15, marks[3]],
    ]);
    const expectedWrites: TwilioOutbound[][] = deltas.map((d, i) => {
      const name = markAfterChunk.get(i);
      return name === undefined ? [media(d)] : [media(d), mark(name)];
    });
    expectedWrites.push([mark(marks[4] as string)]);

    expect(twilio.writes.map((write) => write.map(parseOutbound))).toEqual(expectedWrites);
    expect(twilio.outbound()).toEqual(expectedWrites.flat());
    expect(relay.counters.agentFrames).toBe(20);
  });

  it('sends the same frames in the same order, one send each, on a sink without cork', () => {
    const { relay, model, fromModel } = setup();
    const plain = plainTwilioSink();
    relay.attachModel(model);
    relay.attachTwilio(plain.sink, STREAM_SID);
    const deltas = Array.from({ length: 7 }, (_, n) => numberedFrame(n));
    for (const d of deltas) fromModel(m.audioDelta('item_a1', d));
    fromModel(m.audioDone('item_a1'));

    const frames = plain.frames.map(parseOutbound);
    const names = frames.flatMap((f) => (f.event === 'mark' ? [f.mark.name] : []));
    expect(names).toHaveLength(3);
    expect(frames).toEqual([
      media(deltas[0] as string),
      mark(names[0] as string),
      ...deltas.slice(1, 6).map(media),
      mark(names[1] as string),
      media(deltas[6] as string),
      mark(names[2] as string),
    ]);
  });
});

describe('CallRelay: barge-in', () => {
  /** 200 ms of agent audio sent at once; marks come after 20 ms and 120 ms of it. */
  function agentSpeaking() {
    const s = setup();
    s.relay.attachModel(s.model);
    s.relay.attachTwilio(s.twilio, STREAM_SID);
    s.fromModel(m.itemAdded('item_a1', 'assistant', null));
    for (let n = 0; n < 10; n++) s.fromModel(m.audioDelta('item_a1', numberedFrame(n)));
    return s;
  }

  it('clears Twilio and truncates the item at the milliseconds the caller heard', () => {
    const { relay, twilio, model, clock, echoMark, fromModel } = agentSpeaking();
    const [first] = twilio.markNames();
    clock.advance(20);
    echoMark(first as string); // 20 ms played
    clock.advance(50);
    const framesBefore = twilio.frames.length;
    const modelBefore = model.sent.length;

    fromModel(m.speechStarted('item_u1', 900));

    expect(twilio.frames.slice(framesBefore).map(parseOutbound)).toEqual([{ event: 'clear', streamSid: STREAM_SID }]);
    expect(model.events().slice(modelBefore)).toEqual([
      { type: 'conversation.item.truncate', item_id: 'item_a1', content_index: 0, audio_end_ms: 70 },
    ]);
    expect(relay.counters.bargeIns).toBe(1);

    // The caller keeps talking: nothing is playing any more, so nothing more to cut.
    fromModel(m.speechStarted('item_u2', 2_000));
    expect(twilio.frames).toHaveLength(framesBefore + 1);
    expect(model.sent).toHaveLength(modelBefore + 1);
    expect(relay.counters.bargeIns).toBe(1);
  });

  it('never truncates past audio whose mark Twilio has not echoed', () => {
    const { twilio, model, clock, echoMark, fromModel } = agentSpeaking();
    const [first] = twilio.markNames();
    echoMark(first as string);
    clock.advance(5_000); // Twilio is slow: the 120 ms mark has not come back

    fromModel(m.speechStarted('item_u1', 900));

    expect(model.events().at(-1)).toEqual({
      type: 'conversation.item.truncate',
      item_id: 'item_a1',
      content_index: 0,
      audio_end_ms: 120,
    });
  });

  it('does nothing when the caller speaks while no agent audio is playing', () => {
    const { relay, twilio, model, clock, echoMark, fromModel } = setup();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    fromModel(m.speechStarted('item_u1', 0));
    expect(twilio.frames).toEqual([]);

    // An item that has fully played (its final mark came back) has nothing left to cut either.
    for (let n = 0; n < 3; n++) fromModel(m.audioDelta('item_a1', numberedFrame(n)));
    fromModel(m.audioDone('item_a1'));
    clock.advance(60);
    for (const name of twilio.markNames()) echoMark(name);
    const framesBefore = twilio.frames.length;
    fromModel(m.speechStarted('item_u2', 500));

    expect(twilio.frames).toHaveLength(framesBefore);
    expect(model.events().map((e) => e.type)).toEqual(['session.update']);
    expect(relay.counters.bargeIns).toBe(0);
  });

  it('lets the goodbye play out: no clear and no truncate once the goodbye began', () => {
    const { relay, twilio, model, fromModel } = agentSpeaking();
    fromModel(m.endCall('call_1'));
    // The goodbye's audio may still be streaming after the function call: it is playing when the caller speaks.
    for (let n = 0; n < 5; n++) fromModel(m.audioDelta('item_bye', numberedFrame(n)));
    fromModel(m.speechStarted('item_u1', 900));

    expect(twilio.outbound().some((f) => f.event === 'clear')).toBe(false);
    expect(model.events().some((e) => e.type === 'conversation.item.truncate')).toBe(false);
    expect(relay.counters.bargeIns).toBe(0);
  });
});

describe('CallRelay: where each turn begins in the recording', () => {
  it('an agent turn where its first frame plays (after the audio queued ahead), a caller turn where its speech began', () => {
    const { relay, model, clock, callerSays, fromModel } = setup();
    relay.attachModel(model);
    relay.attachTwilio(new FakeTwilioSink(), STREAM_SID); // the recording's zero
    fromModel(m.itemAdded('item_a1', 'assistant', null));
    for (let n = 0; n < 10; n++) fromModel(m.audioDelta('item_a1', numberedFrame(n))); // 200 ms, sent at once
    fromModel(m.agentTranscriptDone('item_a1', 'Hello, may I have your name?'));
    // The caller talks for a second; the model hears the speech begin 300 ms before it says so.
    for (let n = 0; n < 50; n++) callerSays(numberedFrame(n)); // 1,000 ms of caller audio
    clock.advance(1_000);
    fromModel(m.speechStarted('item_u1', 700));
    fromModel(m.itemAdded('item_u1', 'user', 'item_a1'));
    fromModel(m.callerTranscript('item_u1', 'Pat Example.'));
    clock.advance(500);
    // Two answers sent back to back: the second plays once the first's 200 ms have.
    fromModel(m.itemAdded('item_a2', 'assistant', 'item_u1'));
    for (let n = 0; n < 10; n++) fromModel(m.audioDelta('item_a2', numberedFrame(n)));
    fromModel(m.agentTranscriptDone('item_a2', 'Thanks, Pat.'));
    fromModel(m.itemAdded('item_a3', 'assistant', 'item_a2'));
    fromModel(m.audioDelta('item_a3', numberedFrame(0)));
    fromModel(m.agentTranscriptDone('item_a3', 'What is your ZIP code?'));

    expect(relay.turns().map((t) => t.text)).toEqual(['Hello, may I have your name?', 'Pat Example.', 'Thanks, Pat.', 'What is your ZIP code?']);
    expect(relay.turnStartsMs()).toEqual([0, 700, 1_500, 1_700]);
  });

  it('a clear cuts the queued agent audio: the next answer starts now, not after what was cut', () => {
    const { relay, model, clock, fromModel } = setup();
    relay.attachModel(model);
    relay.attachTwilio(new FakeTwilioSink(), STREAM_SID);
    fromModel(m.itemAdded('item_a1', 'assistant', null));
    for (let n = 0; n < 50; n++) fromModel(m.audioDelta('item_a1', numberedFrame(n))); // 1 s queued
    fromModel(m.agentTranscriptDone('item_a1', 'A long introduction about our offers.'));
    clock.advance(100);
    fromModel(m.speechStarted('item_u1', 0)); // barge-in at 100 ms
    fromModel(m.itemAdded('item_u1', 'user', 'item_a1'));
    fromModel(m.callerTranscript('item_u1', 'Sorry, quick question.'));
    clock.advance(400);
    fromModel(m.itemAdded('item_a2', 'assistant', 'item_u1'));
    fromModel(m.audioDelta('item_a2', numberedFrame(0)));
    fromModel(m.agentTranscriptDone('item_a2', 'Sure, go ahead.'));
    expect(relay.turnStartsMs()).toEqual([0, 100, 500]);
  });
});

describe('CallRelay: goodbye', () => {
  it('end_call: answers the call, notifies GOODBYE, and GOODBYE_PLAYED only once its final mark is echoed', () => {
    const { relay, twilio, model, events, echoMark, fromModel, ofType } = setup();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    fromModel(m.itemAdded('item_bye', 'assistant', null));
    for (let n = 0; n < 8; n++) fromModel(m.audioDelta('item_bye', numberedFrame(n)));
    fromModel(m.audioDone('item_bye'), m.agentTranscriptDone('item_bye', 'Thanks for calling, goodbye!'));
    const marksBefore = twilio.markNames();

    fromModel(m.endCall('call_7'));

    expect(model.events().at(-1)).toEqual({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_7', output: '{"ok":true}' },
    });
    expect(events.at(-1)).toEqual({ type: 'GOODBYE', via: 'tool' });
    const marks = twilio.markNames();
    expect(marks).toHaveLength(marksBefore.length + 1);
    const goodbyeMark = marks.at(-1) as string;
    expect(twilio.outbound().at(-1)).toEqual(mark(goodbyeMark));

    for (const name of marksBefore) echoMark(name);
    expect(ofType('GOODBYE_PLAYED')).toEqual([]);
    echoMark(goodbyeMark);
    expect(events.at(-1)).toEqual({ type: 'GOODBYE_PLAYED' });

    // The response ends with a goodbye phrase too: still one goodbye, played once.
    fromModel(m.responseDone());
    echoMark(goodbyeMark);
    expect(ofType('GOODBYE')).toHaveLength(1);
    expect(ofType('GOODBYE_PLAYED')).toHaveLength(1);
  });

  it('goodbye phrase without end_call: GOODBYE via phrase at response.done, GOODBYE_PLAYED after its mark', () => {
    const { relay, twilio, model, events, echoMark, fromModel, ofType } = setup();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    fromModel(m.agentTranscriptDone('item_a1', 'And what is your ZIP code?'), m.responseDone());
    expect(ofType('GOODBYE')).toEqual([]);

    fromModel(m.agentTranscriptDone('item_a2', 'Thanks, Sam. Have a great day!'));
    expect(ofType('GOODBYE')).toEqual([]);
    const marksBefore = twilio.markNames().length;
    fromModel(m.responseDone());

    expect(events.at(-1)).toEqual({ type: 'GOODBYE', via: 'phrase' });
    const marks = twilio.markNames();
    expect(marks).toHaveLength(marksBefore + 1);
    expect(ofType('GOODBYE_PLAYED')).toEqual([]);
    echoMark(marks.at(-1) as string);
    expect(events.at(-1)).toEqual({ type: 'GOODBYE_PLAYED' });
    // No function call was answered: the phrase path sends nothing to the model.
    expect(model.events().map((e) => e.type)).toEqual(['session.update']);
  });

  it('a goodbye said before Twilio\'s stream attached waits for it, then ends the call after the held audio', async () => {
    const { relay, twilio, model, events, fromModel, echoMark } = setup();
    relay.attachModel(model);
    relay.prepareGreeting();
    fromModel(m.itemAdded('item_g', 'assistant', null), m.audioDelta('item_g', numberedFrame(0)), m.audioDone('item_g'));
    fromModel(m.endCall('call_1'));
    // The call is still connecting: nothing to end yet (the machine would drop the event and never hang up).
    expect(events.filter((e) => e.type === 'GOODBYE' || e.type === 'GOODBYE_PLAYED')).toEqual([]);
    relay.attachTwilio(twilio, STREAM_SID);
    // Once the call has heard of its stream (the caller sends STREAM_STARTED right after attaching).
    expect(events.filter((e) => e.type === 'GOODBYE')).toEqual([]);
    await Promise.resolve();
    expect(events.filter((e) => e.type === 'GOODBYE')).toEqual([{ type: 'GOODBYE', via: 'tool' }]);
    expect(events.filter((e) => e.type === 'GOODBYE_PLAYED')).toEqual([]);
    // The held greeting went out first; its marks, then the goodbye's, come back: the goodbye has played.
    for (const mark of twilio.markNames()) echoMark(mark);
    expect(events.filter((e) => e.type === 'GOODBYE_PLAYED')).toEqual([{ type: 'GOODBYE_PLAYED' }]);
  });

  it('after the Twilio leg was hung up, a goodbye is no longer news: nothing but the transcript is reported', () => {
    const { relay, twilio, model, events, fromModel } = setup();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    relay.hangUpTwilio();
    expect(twilio.closed).toBe(true);
    fromModel(m.agentTranscriptDone('item_a1', 'Goodbye!'), m.responseDone());
    expect(events.filter((e) => e.type !== 'TRANSCRIPT_UPDATED')).toEqual([]);
    expect(events.filter((e) => e.type === 'TRANSCRIPT_UPDATED')).toHaveLength(1);
    expect(twilio.frames).toEqual([]);
  });

  it('after endConversation (the call left streaming): no goodbye, no model failure, transcripts still flow', () => {
    const { relay, twilio, model, events, fromModel } = setup();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    relay.endConversation();
    fromModel(m.endCall('call_1'), m.agentTranscriptDone('item_a1', 'Goodbye!'), m.responseDone());
    relay.onModelClosed('socket closed (1006)', false);
    expect(events.map((e) => e.type)).toEqual(['TRANSCRIPT_UPDATED']);
  });
});

describe('CallRelay: the model socket closing', () => {
  it('notifies MODEL_FAILED with the reason when the close was unexpected', () => {
    const { relay, model, events } = setup();
    relay.attachModel(model);
    relay.onModelClosed('socket closed (1011)', false);
    expect(events).toEqual([{ type: 'MODEL_FAILED', reason: 'socket closed (1011)' }]);
  });

  it('does not notify when the close was expected', () => {
    const { relay, model, events } = setup();
    relay.attachModel(model);
    relay.onModelClosed('closed by us', true);
    expect(events).toEqual([]);
  });

  it('does not notify after hangUpTwilio or closeModel, whatever the socket reports', () => {
    const a = setup();
    a.relay.attachModel(a.model);
    a.relay.attachTwilio(a.twilio, STREAM_SID);
    a.relay.hangUpTwilio();
    a.relay.onModelClosed('socket closed (1006)', false);
    expect(a.twilio.closed).toBe(true);
    expect(a.events).toEqual([]);

    const b = setup();
    b.relay.attachModel(b.model);
    b.relay.closeModel();
    b.relay.onModelClosed('socket closed (1006)', false);
    expect(b.model.closeCalls).toBe(1);
    expect(b.events).toEqual([]);
  });
});

describe('CallRelay: model events', () => {
  it('counts and logs invalid model events without throwing, and keeps relaying', () => {
    const logLines: string[] = [];
    const { relay, twilio, model, events, fromModel } = setup({ logLines });
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    const invalid = [
      'not json',
      '[1,2,3]',
      '{"event_id":"e1"}',
      '{"type":"response.output_audio.delta","item_id":"item_a1","content_index":0,"delta":"not base64!"}',
      '{"type":"conversation.item.added","item":{"type":"message"}}',
    ];
    for (const raw of invalid) expect(() => relay.onModelMessage(raw)).not.toThrow();
    fromModel('{"type":"rate_limits.updated","rate_limits":[]}'); // unknown: ignored, not invalid

    expect(relay.counters.invalidModelEvents).toBe(invalid.length);
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; reason: string });
    expect(logged.map((l) => l.msg)).toEqual(invalid.map(() => 'invalid model event ignored'));
    expect(logged.map((l) => l.reason)).toEqual([
      'malformed JSON',
      'not an object',
      'no type',
      expect.stringMatching(/^bad response\.output_audio\.delta: delta/),
      expect.stringMatching(/^bad conversation\.item\.added: item\.id/),
    ]);
    expect(events).toEqual([]);
    expect(twilio.frames).toEqual([]);

    // Still working, bytes as the ws client hands them over included.
    const delta = numberedFrame(1);
    relay.onModelMessage(Buffer.from(m.audioDelta('item_a1', delta)));
    expect(twilio.outbound()[0]).toEqual(media(delta));
  });

  it('resolves sessionReady on session.updated', async () => {
    const { relay, model, fromModel } = setup();
    relay.attachModel(model);
    expect(await settledSoon(relay.sessionReady)).toBe(false);
    fromModel(m.sessionUpdated());
    expect(await settledSoon(relay.sessionReady)).toBe(true);
  });

  it('asks for the greeting once, and only once the model socket is attached', () => {
    const { relay, model } = setup();
    relay.startConversation();
    relay.attachModel(model);
    relay.startConversation();
    relay.startConversation();
    expect(model.events()).toEqual([
      JSON.parse(SESSION_UPDATE),
      { type: 'response.create', response: { instructions: GREETING_PROMPT } },
    ]);
  });
});

describe('CallRelay: transcript', () => {
  it('sends TRANSCRIPT_UPDATED with the turns in conversation order, not in the order transcripts arrive', () => {
    const { relay, model, fromModel, ofType } = setup();
    relay.attachModel(model);
    fromModel(
      m.itemAdded('item_a1', 'assistant', null),
      m.agentTranscriptDone('item_a1', 'Thanks for calling Power Sport Buyers! Who am I speaking with?'),
      m.itemAdded('item_u1', 'user', 'item_a1'),
      m.itemAdded('item_a2', 'assistant', 'item_u1'),
      // The agent's answer is transcribed before the caller's words it answers.
      m.agentTranscriptDone('item_a2', 'Thanks, Sam. What is your ZIP code?'),
      m.itemAdded('item_u2', 'user', 'item_a2'),
      m.callerTranscriptFailed('item_u2'),
      m.callerTranscript('item_u1', ' Sam Smith '),
    );

    const updates = ofType('TRANSCRIPT_UPDATED').map((e) => e.turns);
    expect(updates).toEqual([
      [{ role: 'assistant', text: 'Thanks for calling Power Sport Buyers! Who am I speaking with?' }],
      [
        { role: 'assistant', text: 'Thanks for calling Power Sport Buyers! Who am I speaking with?' },
        { role: 'assistant', text: 'Thanks, Sam. What is your ZIP code?' },
      ],
      [
        { role: 'assistant', text: 'Thanks for calling Power Sport Buyers! Who am I speaking with?' },
        { role: 'assistant', text: 'Thanks, Sam. What is your ZIP code?' },
        { role: 'user', text: INAUDIBLE },
      ],
      [
        { role: 'assistant', text: 'Thanks for calling Power Sport Buyers! Who am I speaking with?' },
        { role: 'user', text: 'Sam Smith' },
        { role: 'assistant', text: 'Thanks, Sam. What is your ZIP code?' },
        { role: 'user', text: INAUDIBLE },
      ],
    ]);
    expect(relay.turns()).toEqual(updates.at(-1));
  });

  it('whenTranscriptSettled waits until every pending caller transcription completed or failed', async () => {
    const { relay, model, fromModel } = setup();
    relay.attachModel(model);
    fromModel(
      m.itemAdded('item_a1', 'assistant', null),
      m.agentTranscriptDone('item_a1', 'Your name?'),
      m.itemAdded('item_u1', 'user', 'item_a1'),
      m.itemAdded('item_u2', 'user', 'item_u1'),
    );
    const settled = relay.whenTranscriptSettled(new AbortController().signal);
    expect(await settledSoon(settled)).toBe(false);

    fromModel(m.callerTranscript('item_u1', 'Sam Smith'));
    expect(await settledSoon(settled)).toBe(false);
    fromModel(m.callerTranscriptFailed('item_u2'));
    expect(await settled).toEqual([
      { role: 'assistant', text: 'Your name?' },
      { role: 'user', text: 'Sam Smith' },
      { role: 'user', text: INAUDIBLE },
    ]);
  });

  it('whenTranscriptSettled resolves with the turns so far on abort', async () => {
    const { relay, model, fromModel } = setup();
    relay.attachModel(model);
    fromModel(
      m.itemAdded('item_a1', 'assistant', null),
      m.agentTranscriptDone('item_a1', 'Your name?'),
      m.itemAdded('item_u1', 'user', 'item_a1'),
    );
    const controller = new AbortController();
    const settled = relay.whenTranscriptSettled(controller.signal);
    expect(await settledSoon(settled)).toBe(false);
    controller.abort();
    expect(await settled).toEqual([{ role: 'assistant', text: 'Your name?' }]);
  });

  it('whenTranscriptSettled resolves at once when nothing is pending, and when the model socket goes', async () => {
    const { relay, model, fromModel } = setup();
    relay.attachModel(model);
    fromModel(m.itemAdded('item_a1', 'assistant', null), m.agentTranscriptDone('item_a1', 'Your name?'));
    expect(await settledSoon(relay.whenTranscriptSettled(new AbortController().signal))).toBe(true);

    fromModel(m.itemAdded('item_u1', 'user', 'item_a1'));
    const settled = relay.whenTranscriptSettled(new AbortController().signal);
    expect(await settledSoon(settled)).toBe(false);
    relay.onModelClosed('socket closed (1006)', false);
    expect(await settled).toEqual([{ role: 'assistant', text: 'Your name?' }]);
  });
});

describe('CallRelay: record_lead_field', () => {
  const CALLER = '+14045550111';
  const AT = new Date('2025-06-01T12:00:00.000Z');
  function capturing(options: { liveReading?: () => ExtractionResult | null } = {}) {
    const events: CallEvent[] = [];
    const relay = new CallRelay({
      logger: createLogger('silent'),
      sessionUpdate: SESSION_UPDATE,
      notify: (e) => events.push(e),
      callerPhone: CALLER,
      clock: () => AT,
      ...options,
    });
    const model = new FakeModelSocket();
    const twilio = new FakeTwilioSink();
    relay.attachModel(model);
    relay.attachTwilio(twilio, STREAM_SID);
    const fromModel = (...raw: string[]): void => {
      for (const r of raw) relay.onModelMessage(r);
    };
    /** The client events after the session.update. */
    const sentToModel = () => model.events().slice(1);
    return { relay, model, events, fromModel, sentToModel };
  }
  const output = (callId: string, value: unknown) => ({
    type: 'conversation.item.create',
    item: { type: 'function_call_output', call_id: callId, output: JSON.stringify(value) },
  });

  it('answers an accepted value with its normalized form, notifies FIELD_CAPTURED, and asks for a response after response.done', () => {
    const { relay, events, fromModel, sentToModel } = capturing();
    fromModel(m.recordLeadField('call_rf1', { field: 'phone', value: 'CALLER_ID' }));
    expect(sentToModel()).toEqual([output('call_rf1', { status: 'accepted', field: 'phone', value: CALLER })]);
    expect(events).toEqual([{ type: 'FIELD_CAPTURED', field: 'phone', captured: { value: CALLER, at: AT.toISOString(), attempts: 1 } }]);
    // The response that carried the call is still active: the response.create waits for its end.
    fromModel(m.responseDone());
    expect(sentToModel().at(-1)).toEqual({ type: 'response.create' });
    fromModel(m.responseDone());
    expect(sentToModel().filter((e) => e.type === 'response.create')).toHaveLength(1);
    expect(relay.counters).toMatchObject({ fieldsCaptured: 1, fieldsRefused: 0 });
  });

  it('answers an Alaska ZIP with the reason and the next question, and notifies nothing; the lower-48 ZIP is attempt 2', () => {
    const { relay, events, fromModel, sentToModel } = capturing();
    fromModel(m.recordLeadField('call_rf1', { field: 'zip_code', value: '99501' }), m.responseDone());
    const [refused, create] = sentToModel();
    const refusal = JSON.parse((refused?.item as { output: string }).output) as Record<string, string>;
    expect(refusal).toMatchObject({ status: 'refused', field: 'zip_code' });
    expect(refusal.reason).toMatch(/Alaska; we do not buy vehicles in Alaska or Hawaii/);
    expect(refusal.next).toMatch(/a state we buy in/);
    expect(create).toEqual({ type: 'response.create' });
    expect(events).toEqual([]);

    fromModel(m.recordLeadField('call_rf2', { field: 'zip_code', value: '30093' }));
    expect(events).toEqual([{ type: 'FIELD_CAPTURED', field: 'zip_code', captured: { value: '30093', at: AT.toISOString(), attempts: 2 } }]);
    expect(relay.counters).toMatchObject({ fieldsCaptured: 1, fieldsRefused: 1 });
  });

  it('answers bad arguments with an error output, counted, never a throw', () => {
    const { relay, events, fromModel, sentToModel } = capturing();
    expect(() => fromModel(m.recordLeadField('call_bad', '{"field":'))).not.toThrow();
    expect(JSON.parse((sentToModel()[0]?.item as { output: string }).output)).toMatchObject({ status: 'error' });
    expect(events).toEqual([]);
    expect(relay.counters.fieldsRefused).toBe(1);
  });

  it('end_call with fields missing: names them once (no goodbye, the agent responds), the second end_call ends the call', () => {
    const { events, fromModel, sentToModel } = capturing();
    fromModel(m.recordLeadField('call_rf1', { field: 'full_name', value: 'John Carter' }), m.responseDone());
    events.length = 0;
    // The real model says its goodbye and calls end_call in one response.
    fromModel(m.agentTranscriptDone('item_bye', 'Thanks, John. A buyer will call you back. Goodbye.'), m.endCall('call_end1'));
    const deferred = JSON.parse((sentToModel().at(-1)?.item as { output: string }).output) as { ok: boolean; missing: string[] };
    expect(deferred).toMatchObject({ ok: false, status: 'missing', missing: ['zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model'] });
    fromModel(m.responseDone());
    // The goodbye phrase of that response is not taken for the end either.
    expect(events.filter((e) => e.type === 'GOODBYE')).toEqual([]);
    expect(sentToModel().at(-1)).toEqual({ type: 'response.create' });

    fromModel(m.agentTranscriptDone('item_bye2', 'No problem. Goodbye.'), m.endCall('call_end2'));
    expect(sentToModel().at(-1)).toEqual(output('call_end2', { ok: true }));
    expect(events.filter((e) => e.type === 'GOODBYE')).toEqual([{ type: 'GOODBYE', via: 'tool' }]);
  });

  it('end_call counts what the live offline reading holds; a model that never recorded ends at once', () => {
    const complete = capturing({ liveReading: () => ({ lead: { ...fullLead }, complete: true, errors: [], missing: [], reasons: {} }) });
    complete.fromModel(m.recordLeadField('call_rf1', { field: 'full_name', value: 'John Carter' }), m.endCall('call_end'));
    expect(complete.sentToModel().at(-1)).toEqual(output('call_end', { ok: true }));
    expect(complete.events.at(-1)).toEqual({ type: 'GOODBYE', via: 'tool' });

    const never = capturing();
    never.fromModel(m.endCall('call_end'));
    expect(never.sentToModel()).toEqual([output('call_end', { ok: true })]);
    expect(never.events).toEqual([{ type: 'GOODBYE', via: 'tool' }]);
  });
});

const fullLead = {
  full_name: 'John Carter',
  zip_code: '30093',
  phone: '+14045550111',
  vehicle_year: 2019,
  vehicle_make: 'Harley-Davidson',
  vehicle_model: 'Street Glide',
};

describe('CallRelay: the greeting before the stream', () => {
  it('asks for the greeting once, holds its audio and final mark until Twilio attaches, then sends them first', () => {
    const { relay, twilio, model, fromModel } = setup();
    relay.attachModel(model);
    relay.prepareGreeting();
    relay.startConversation();
    expect(model.events().filter((e) => e.type === 'response.create')).toEqual([{ type: 'response.create', response: { instructions: GREETING_PROMPT } }]);
    fromModel(m.itemAdded('item_g', 'assistant', null));
    for (let n = 0; n < 3; n++) fromModel(m.audioDelta('item_g', numberedFrame(n)));
    fromModel(m.audioDone('item_g'));
    expect(relay.timeToGreetingMs()).toBeNull();

    relay.attachTwilio(twilio, STREAM_SID);
    const sent = twilio.frames.map(parseOutbound);
    expect(sent.filter((f) => f.event === 'media').map((f) => (f as { media: { payload: string } }).media.payload)).toEqual([0, 1, 2].map((n) => numberedFrame(n)));
    expect(sent.at(-1)).toMatchObject({ event: 'mark' });
    expect(relay.timeToGreetingMs()).toBe(0);
    expect(relay.counters.agentFrames).toBe(3);
  });

  it('a caller who talks over the held greeting interrupts it like any agent turn', () => {
    const { relay, twilio, model, clock, fromModel } = setup();
    relay.attachModel(model);
    relay.prepareGreeting();
    fromModel(m.itemAdded('item_g', 'assistant', null));
    for (let n = 0; n < 10; n++) fromModel(m.audioDelta('item_g', numberedFrame(n)));
    relay.attachTwilio(twilio, STREAM_SID);
    clock.advance(30);
    const before = twilio.frames.length;
    fromModel(m.speechStarted('item_u1', 100));
    expect(twilio.frames.slice(before).map(parseOutbound)).toEqual([{ event: 'clear', streamSid: STREAM_SID }]);
    expect(model.events().at(-1)).toMatchObject({ type: 'conversation.item.truncate', item_id: 'item_g' });
    expect(relay.counters.bargeIns).toBe(1);
  });

  it('holds at most its bound, and nothing once the call hung up', () => {
    const { relay, model, fromModel } = setup();
    relay.attachModel(model);
    relay.prepareGreeting();
    fromModel(m.itemAdded('item_g', 'assistant', null));
    const big = Buffer.alloc(48_000, 0xff).toString('base64'); // 64 KB of base64 per delta
    for (let n = 0; n < 8; n++) fromModel(m.audioDelta('item_g', big));
    expect(relay.counters.agentFramesDropped).toBe(3);
    relay.hangUpTwilio();
    fromModel(m.audioDelta('item_g', numberedFrame(1)));
    expect(relay.counters.agentFramesDropped).toBe(3);
  });
});

describe('CallRelay: what the quality record reads', () => {
  it('keeps the waits it reports per kind, the duration, and dead air from the audio and the caller\'s speech', () => {
    const s = setup();
    s.relay.attachModel(s.model);
    s.relay.attachTwilio(s.twilio, STREAM_SID);
    s.clock.advance(300);
    s.fromModel(m.itemAdded('item_a1', 'assistant', null));
    s.fromModel(m.audioDelta('item_a1', numberedFrame(0, 8000))); // 1000 ms of audio
    s.fromModel(m.audioDone('item_a1'));
    s.clock.advance(1000 + 3500); // 3.5 s of silence after it played
    for (const mark of s.twilio.markNames()) s.echoMark(mark);
    s.fromModel(m.speechStarted('item_u1', 0));
    s.clock.advance(800);
    s.fromModel(serverEvent({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 800, item_id: 'item_u1' }));
    s.clock.advance(450);
    s.fromModel(m.itemAdded('item_a2', 'assistant', 'item_u1'));
    s.fromModel(m.audioDelta('item_a2', numberedFrame(1)));
    s.clock.advance(100);
    s.relay.endConversation();
    s.clock.advance(5000);

    // The relay's own part of the answer: its first audio in to its frame out (the test clock does not move inside).
    expect(s.relay.waits).toEqual({ greeting: [300], response: [450], response_relay: [0] });
    expect(s.relay.durationMs()).toBe(300 + 4500 + 800 + 450 + 100);
    expect(s.relay.deadAir.result()).toEqual({ count: 1, longestMs: 3500 });
  });

  it('times the relay\'s own part of an answer: its first audio in to the frame out, once per answer', () => {
    const s = setup();
    const send = s.twilio.send.bind(s.twilio);
    s.twilio.send = (data: string) => {
      s.clock.advance(0.25); // what the socket write costs, as the relay's clock sees it
      send(data);
    };
    s.relay.attachModel(s.model);
    s.relay.attachTwilio(s.twilio, STREAM_SID);
    s.fromModel(m.speechStarted('item_u1', 0));
    s.fromModel(serverEvent({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 800, item_id: 'item_u1' }));
    s.fromModel(m.itemAdded('item_a1', 'assistant', 'item_u1'));
    s.fromModel(m.audioDelta('item_a1', numberedFrame(0)), m.audioDelta('item_a1', numberedFrame(1)));
    // The first frame of the item carries a mark: two writes.
    expect(s.relay.waits.response_relay).toEqual([0.5]);
  });

  it.each([
    // speech began (ms of caller audio), agent audio played at the clear, heard over the caller
    ['250 ms before the model reported it', 750, 600, 250],
    ['before the agent started: capped by what played', 0, 600, 600],
    ['after the caller audio the relay forwarded (clocks apart): none', 1200, 600, 0],
  ])('measures the agent audio the caller heard over their own barge-in: %s', (_name, speechStartMs, playedMs, heardOverMs) => {
    const s = setup();
    s.relay.attachModel(s.model);
    s.relay.attachTwilio(s.twilio, STREAM_SID);
    for (let n = 0; n < 50; n++) s.callerSays(numberedFrame(n)); // 1000 ms of caller audio forwarded
    s.fromModel(m.itemAdded('item_a1', 'assistant', null));
    // 2000 ms sent at once: Twilio had nothing queued, so it plays from now.
    s.fromModel(m.audioDelta('item_a1', numberedFrame(0, 8000)), m.audioDelta('item_a1', numberedFrame(1, 8000)));
    s.clock.advance(playedMs);
    s.fromModel(m.speechStarted('item_u1', speechStartMs));
    expect(s.relay.counters.bargeIns).toBe(1);
    expect(s.relay.waits.barge_in_heard).toEqual([heardOverMs]);
  });

  it(`keeps at most ${MAX_WAIT_SAMPLES} samples of a kind`, () => {
    const s = setup();
    s.relay.attachModel(s.model);
    s.relay.attachTwilio(s.twilio, STREAM_SID);
    for (let n = 0; n < MAX_WAIT_SAMPLES + 5; n++) {
      s.fromModel(serverEvent({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: n, item_id: `item_u${n}` }));
      s.clock.advance(n);
      s.fromModel(m.audioDelta(`item_a${n}`, numberedFrame(n)));
    }
    expect(s.relay.waits.response).toHaveLength(MAX_WAIT_SAMPLES);
    expect(s.relay.waits.response?.at(-1)).toBe(MAX_WAIT_SAMPLES - 1);
  });

  it('before the stream attached there is no duration', () => {
    expect(setup().relay.durationMs()).toBeNull();
  });
});
