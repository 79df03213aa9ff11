import type { CallEvent } from '../../machines/callMachine.js';
import type { ExtractionResult, Turn } from '../leads/lead.js';
import type { Logger } from '../log.js';
import type { ModelSocket } from '../realtime/modelConnection.js';
import { GOODBYE_PATTERN, GREETING_PROMPT } from '../realtime/agentInstructions.js';
import {
  conversationItemTruncate,
  functionCallOutput,
  inputAudioAppend,
  responseCreate,
} from '../realtime/clientEvents.js';
import { RECORD_LEAD_FIELD } from '../realtime/recordLeadField.js';
import { parseRealtimeEvent, type RealtimeServerEvent } from '../realtime/serverEvents.js';
import { TranscriptAssembler } from '../realtime/transcriptAssembler.js';
import { twilioClear, twilioMark, twilioMediaWriter } from '../twilio/mediaStreamMessages.js';
import { base64DecodedLength } from '../wire/fastJson.js';
import { END_CALL_OK_OUTPUT, FieldCapture } from './fieldCapture.js';
import { PlaybackTracker } from './playbackTracker.js';
import type { WaitKind } from './callWaits.js';
import { DeadAirMeter } from './deadAirMeter.js';

/** The Twilio side of a call as the relay sees it: a text-frame sink that can be closed. */
export interface TwilioSink {
  send(data: string): void;
  /** Runs `sends` so that the frames it sends leave in one socket write (optional: a plain sink just sends). */
  cork?(sends: () => void): void;
  close(): void;
}

/**
 * What the relay tells a recording of the call (src/recordings/callRecorder.ts is one): the stream's start, each
 * caller frame with Twilio's timestamp, each agent frame as it is sent, each `clear`. Called on the hot path: an
 * implementation keeps references and works in batches; it never throws.
 */
export interface CallAudioTap {
  start(atMs: number): void;
  caller(payloadB64: string, timestampMs: number | null): void;
  agent(payloadB64: string): void;
  clear(): void;
}

/** Caller audio kept while the model's socket is not open yet: 10 s of 20 ms frames, then the oldest go. */
export const MAX_PENDING_CALLER_FRAMES = 500;
/**
 * Agent audio held while Twilio's stream is not attached yet (the greeting is produced before Twilio's `start`):
 * 30 s of 8 kHz mu-law as base64. Beyond it the newest audio is dropped and counted.
 */
export const MAX_PENDING_AGENT_B64_BYTES = 320 * 1024;
/** Beyond this backlog on the model socket, caller frames are dropped (and counted) rather than queued without bound. */
export const MAX_MODEL_BACKLOG_BYTES = 1024 * 1024;
/** Wait samples a call keeps per kind for its quality record; beyond it the newest are not kept (a bound, not a budget). */
export const MAX_WAIT_SAMPLES = 200;

export interface RelayCounters {
  callerFrames: number;
  /** Caller turns the model reported (each a conversation item whose transcription follows). */
  callerTurns: number;
  callerFramesDropped: number;
  agentFrames: number;
  /** Agent audio frames dropped because they came before the stream and the hold was full. */
  agentFramesDropped: number;
  invalidModelEvents: number;
  bargeIns: number;
  /** record_lead_field calls whose value was accepted, and those refused (or with bad arguments). */
  fieldsCaptured: number;
  fieldsRefused: number;
}

export interface RelayOptions {
  logger: Logger;
  /** The session.update event to send as soon as the model socket opens. */
  sessionUpdate: string;
  /** Reports a wait the caller sat through, in ms, where it ends (src/calls/callWaits.ts). */
  observeWait?: (kind: WaitKind, ms: number) => void;
  /** Events for the call's state machine (transcript, goodbye, model failure). Never audio. */
  notify: (event: CallEvent) => void;
  now?: () => number;
  /** The caller's number, for a `record_lead_field` phone of "CALLER_ID". */
  callerPhone?: string | null;
  /** States whose ZIP codes the live capture refuses (REFUSED_STATES); default AK, HI. */
  refusedStates?: readonly string[];
  /** The call's live offline reading: a field it holds validly counts as given when end_call checks what is missing. */
  liveReading?: () => ExtractionResult | null;
  /** The clock live captures are stamped with (default: the wall clock). */
  clock?: () => Date;
  /** The greeting's instructions (default GREETING_PROMPT; with the recording notice while calls are recorded). */
  greetingPrompt?: string;
  /** Called once when the conversation is over (the call left streaming, hung up, or closed the model): a recording ends there. */
  onConversationEnded?: () => void;
}

/**
 * Moves one call's audio between Twilio and the model and turns the model's events into call events.
 * Audio frames take the shortest road (a template string each way); only the rare events reach the call machine.
 */
export class CallRelay {
  readonly counters: RelayCounters = {
    callerFrames: 0,
    callerTurns: 0,
    callerFramesDropped: 0,
    agentFrames: 0,
    agentFramesDropped: 0,
    invalidModelEvents: 0,
    bargeIns: 0,
    fieldsCaptured: 0,
    fieldsRefused: 0,
  };
  /** The waits observed so far, per kind, in order (at most MAX_WAIT_SAMPLES each): the call's quality record. */
  readonly waits: Partial<Record<WaitKind, number[]>> = {};
  /** Dead air, from the audio and the caller's speech the relay already sees. */
  readonly deadAir = new DeadAirMeter();
  private readonly transcript = new TranscriptAssembler();
  private readonly playback: PlaybackTracker;
  private twilio: TwilioSink | null = null;
  /** The call's recording, from the stream's start (none while recording is off). */
  private tap: CallAudioTap | null = null;
  private streamSid = '';
  private writeMedia: ((payload: string) => string) | null = null;
  private model: ModelSocket | null = null;
  private pendingCallerAudio: string[] = [];
  /** Caller audio appended to the model's input buffer so far, in bytes (8 a ms): the clock of its `audio_start_ms`. */
  private callerAudioBytes = 0;
  private sessionReadyResolve: (() => void) | null = null;
  readonly sessionReady: Promise<void>;
  private conversationStarted = false;
  /** Agent audio (and the end of each item) that came before Twilio's stream: sent, in order, when it attaches. */
  private heldAgentAudio: Array<{ itemId: string; delta: string } | { itemId: string; done: true }> = [];
  private heldAgentBytes = 0;
  private readonly now: () => number;
  /** When the caller last stopped speaking (the model's VAD), until the agent's answer starts; and the goodbye. */
  private speechStoppedAt: number | null = null;
  private answerItemId: string | null = null;
  private goodbyeAt: number | null = null;
  /** When the conversation ended (the call left streaming, or hung up): where the lead's delivery wait starts. */
  conversationEndedAt: number | null = null;
  /** When Twilio's `start` attached the stream, and when the first agent frame left for it (performance.now()). */
  private streamAttachedAt: number | null = null;
  private firstAgentFrameAt: number | null = null;
  private goodbye: { via: 'tool' | 'phrase'; mark: string | null } | null = null;
  private goodbyePhraseSeen = false;
  /** A goodbye the model said before Twilio's stream attached: begun when it does. */
  private goodbyeBeforeStream: 'tool' | 'phrase' | null = null;
  private settledWaiters: Array<() => void> = [];
  private ended = false;
  private readonly capture: FieldCapture;
  /** A function call's output was sent: the model is asked to respond once its current response is done. */
  private respondAfterDone = false;
  /**
   * Where each conversation item begins on the recording's clock (ms since Twilio's `start`): a caller item where
   * the model heard its speech begin, an agent item where its first frame plays (after the agent audio queued ahead).
   */
  private readonly itemStartMs = new Map<string, number>();
  /** Where the agent audio sent so far ends on that clock (a `clear` cuts it to now). */
  private agentPlaysUntilMs = 0;

  constructor(private readonly options: RelayOptions) {
    this.now = options.now ?? (() => performance.now());
    this.playback = new PlaybackTracker({ now: this.now });
    this.capture = new FieldCapture({
      callerPhone: options.callerPhone ?? null,
      ...(options.clock ? { now: options.clock } : {}),
      ...(options.refusedStates ? { refusedStates: options.refusedStates } : {}),
    });
    this.sessionReady = new Promise((resolve) => {
      this.sessionReadyResolve = resolve;
    });
  }

  // ---- Twilio side ----

  /** Twilio's `start` arrived: from now on agent audio goes to this stream. */
  attachTwilio(sink: TwilioSink, streamSid: string, tap: CallAudioTap | null = null): void {
    this.twilio = sink;
    this.streamSid = streamSid;
    this.writeMedia = twilioMediaWriter(streamSid);
    this.streamAttachedAt = this.now();
    this.tap = tap;
    tap?.start(this.streamAttachedAt);
    this.deadAir.start(this.streamAttachedAt);
    // The greeting the model produced before the stream existed goes out at once, in order, with its marks.
    const held = this.heldAgentAudio;
    this.heldAgentAudio = [];
    this.heldAgentBytes = 0;
    for (const entry of held) {
      if ('delta' in entry) this.forwardAgentAudio(entry.itemId, entry.delta);
      else this.sendAudioDoneMark(entry.itemId);
    }
    const goodbye = this.goodbyeBeforeStream;
    this.goodbyeBeforeStream = null;
    // After the call has heard of its stream (STREAM_STARTED follows this call): then the goodbye is news to it.
    if (goodbye !== null) queueMicrotask(() => this.beginGoodbye(goodbye));
  }

  /** Twilio's `start` to the first agent frame sent, in ms; null until both happened. */
  timeToGreetingMs(): number | null {
    if (this.streamAttachedAt === null || this.firstAgentFrameAt === null) return null;
    return Math.max(0, this.firstAgentFrameAt - this.streamAttachedAt);
  }

  /** Twilio's `start` to the conversation's end (or now, while it lasts), in ms; null before the stream attached. */
  durationMs(): number | null {
    if (this.streamAttachedAt === null) return null;
    return Math.max(0, (this.conversationEndedAt ?? this.now()) - this.streamAttachedAt);
  }

  /** One caller frame (base64 mu-law, already validated by the parser), with Twilio's timestamp when it has one. */
  onCallerAudio(payloadB64: string, timestampMs: number | null = null): void {
    this.counters.callerFrames++;
    this.callerAudioBytes += base64DecodedLength(payloadB64);
    this.tap?.caller(payloadB64, timestampMs);
    const model = this.model;
    if (model === null) {
      // Not open yet: keep it, so the first words are not lost; bounded.
      if (this.pendingCallerAudio.length >= MAX_PENDING_CALLER_FRAMES) {
        this.pendingCallerAudio.shift();
        this.counters.callerFramesDropped++;
      }
      this.pendingCallerAudio.push(payloadB64);
      return;
    }
    if (model.bufferedAmount() > MAX_MODEL_BACKLOG_BYTES || !model.send(inputAudioAppend(payloadB64))) {
      this.counters.callerFramesDropped++;
    }
  }

  /** Twilio echoed a mark: the audio before it has played. */
  onTwilioMark(name: string): void {
    const echo = this.playback.onMarkEchoed(name);
    if (echo === null || !echo.final) return;
    if (this.goodbye !== null && this.goodbye.mark === name) this.options.notify({ type: 'GOODBYE_PLAYED' });
  }

  // ---- model side ----

  /** The model's socket is open: configure the session and flush what the caller already said. */
  attachModel(model: ModelSocket): void {
    this.model = model;
    model.send(this.options.sessionUpdate);
    const pending = this.pendingCallerAudio;
    this.pendingCallerAudio = [];
    for (const payload of pending) model.send(inputAudioAppend(payload));
  }

  /** The agent speaks first: ask for the greeting once both legs are up. */
  startConversation(): void {
    if (this.conversationStarted || this.model === null) return;
    this.conversationStarted = true;
    this.model.send(responseCreate({ instructions: this.options.greetingPrompt ?? GREETING_PROMPT }));
  }

  /**
   * The model session is configured before Twilio's stream is up (the webhook always comes first): ask for the
   * greeting now and hold its audio until the stream attaches, so the caller hears it at once instead of after the
   * model's own first-audio delay. The conversation's start then finds it already asked for.
   */
  prepareGreeting(): void {
    this.startConversation();
  }

  /**
   * The conversation is over (the call left streaming): a goodbye or a model failure is no longer news for the
   * call. Transcriptions still arrive and are still reported, for the call waiting for its transcript.
   */
  endConversation(): void {
    this.ended = true;
    this.conversationOver();
  }

  /** The first of endConversation, hangUpTwilio and closeModel: the conversation's end is stamped once, and told. */
  private conversationOver(): void {
    if (this.conversationEndedAt !== null) return;
    this.conversationEndedAt = this.now();
    this.tap = null;
    try {
      this.options.onConversationEnded?.();
    } catch (error) {
      this.options.logger.warn({ err: String(error) }, 'conversation end hook failed');
    }
  }

  /** Keeps a wait for the quality record and reports it (`observeWait`); measuring never breaks the call. */
  reportWait(kind: WaitKind, ms: number): void {
    const samples = (this.waits[kind] ??= []);
    if (samples.length < MAX_WAIT_SAMPLES) samples.push(Math.max(0, ms));
    try {
      this.options.observeWait?.(kind, Math.max(0, ms));
    } catch {
      // Measuring never breaks the call.
    }
  }

  /** The model's socket closed. Unexpected closes are a model failure for the call machine. */
  onModelClosed(reason: string, expected: boolean): void {
    this.model = null;
    this.releaseSettledWaiters();
    if (!expected && !this.ended) this.options.notify({ type: 'MODEL_FAILED', reason });
  }

  onModelMessage(data: Buffer | string): void {
    const event = parseRealtimeEvent(data);
    if (event.type === 'response.output_audio.delta') {
      // The answer's first audio: when it arrived, for the relay's own part of the response latency.
      const answerStart = this.speechStoppedAt !== null && event.item_id !== this.answerItemId;
      const receivedAt = answerStart ? this.now() : 0;
      this.forwardAgentAudio(event.item_id, event.delta);
      if (answerStart && this.answerItemId === event.item_id) this.reportWait('response_relay', this.now() - receivedAt);
      return;
    }
    if (event.type === 'invalid') {
      this.counters.invalidModelEvents++;
      this.options.logger.warn({ reason: event.reason }, 'invalid model event ignored');
      return;
    }
    if (event.type === 'unknown') return;
    this.onModelEvent(event);
  }

  private forwardAgentAudio(itemId: string, deltaB64: string): void {
    const twilio = this.twilio;
    const writeMedia = this.writeMedia;
    if (twilio === null || writeMedia === null) {
      this.holdAgentAudio(itemId, deltaB64);
      return;
    }
    if (this.firstAgentFrameAt === null) {
      this.firstAgentFrameAt = this.now();
      const greeting = this.timeToGreetingMs();
      if (greeting !== null) this.reportWait('greeting', greeting);
    }
    // The first audio of the answer to what the caller just said.
    if (this.speechStoppedAt !== null && itemId !== this.answerItemId) {
      this.answerItemId = itemId;
      this.reportWait('response', this.now() - this.speechStoppedAt);
      this.speechStoppedAt = null;
    }
    this.counters.agentFrames++;
    this.tap?.agent(deltaB64);
    const media = writeMedia(deltaB64);
    const bytes = base64DecodedLength(deltaB64);
    const startsMs = Math.max(this.streamClockMs(), this.agentPlaysUntilMs);
    if (!this.itemStartMs.has(itemId)) this.itemStartMs.set(itemId, Math.round(startsMs));
    this.agentPlaysUntilMs = startsMs + bytes / 8;
    // 8 kHz mu-law: 8 bytes a ms.
    this.deadAir.agentAudio(this.now(), bytes / 8);
    const { mark } = this.playback.onAudioSent(itemId, bytes);
    if (mark === undefined) {
      twilio.send(media);
      return;
    }
    // The frame and its mark in one write (every MARK_INTERVAL_MS of audio): one syscall instead of two.
    const markFrame = twilioMark(this.streamSid, mark);
    if (twilio.cork === undefined) {
      twilio.send(media);
      twilio.send(markFrame);
      return;
    }
    twilio.cork(() => {
      twilio.send(media);
      twilio.send(markFrame);
    });
  }

  /** Agent audio before the stream (the early greeting), kept while the stream is yet to come; bounded. */
  private holdAgentAudio(itemId: string, deltaB64: string): void {
    // After the call hung up there is no stream to come: nothing to hold it for.
    if (this.ended) return;
    if (this.heldAgentBytes + deltaB64.length > MAX_PENDING_AGENT_B64_BYTES) {
      this.counters.agentFramesDropped++;
      return;
    }
    this.heldAgentBytes += deltaB64.length;
    this.heldAgentAudio.push({ itemId, delta: deltaB64 });
  }

  /** An agent item's audio is complete: a final mark tells when it has played (held until the stream is up). */
  private sendAudioDoneMark(itemId: string): void {
    if (this.twilio === null) {
      if (!this.ended) this.heldAgentAudio.push({ itemId, done: true });
      return;
    }
    const mark = this.playback.onAudioDone(itemId);
    if (mark !== null) this.twilio.send(twilioMark(this.streamSid, mark));
  }

  private onModelEvent(event: RealtimeServerEvent): void {
    switch (event.type) {
      case 'session.updated':
        this.sessionReadyResolve?.();
        this.sessionReadyResolve = null;
        return;
      case 'input_audio_buffer.speech_started':
        // Now on the recording's clock, less how far back the model says the speech began (its clock is the caller
        // audio it was given: that audio since the speech began is the lead its detection took).
        if (!this.itemStartMs.has(event.item_id)) {
          const detectedAfterMs = Math.max(0, this.callerAudioBytes / 8 - event.audio_start_ms);
          this.itemStartMs.set(event.item_id, Math.round(Math.max(0, this.streamClockMs() - detectedAfterMs)));
        }
        this.speechStoppedAt = null;
        this.deadAir.callerSpeechStarted(this.now());
        this.onBargeIn(event.audio_start_ms);
        return;
      case 'input_audio_buffer.speech_stopped':
        this.speechStoppedAt = this.now();
        this.deadAir.callerSpeechStopped(this.speechStoppedAt);
        return;
      case 'conversation.item.added':
      case 'conversation.item.created':
        if (this.transcript.onItemAdded(event.item.id, event.previous_item_id, event.item.role) && event.item.role === 'user') {
          this.counters.callerTurns++;
        }
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.transcript.onUserTranscript(event.item_id, event.transcript);
        this.transcriptChanged();
        return;
      case 'conversation.item.input_audio_transcription.failed':
        this.transcript.onUserTranscriptFailed(event.item_id, event.error?.message ?? 'transcription failed');
        this.transcriptChanged();
        return;
      case 'response.output_audio_transcript.done':
        this.transcript.onAssistantTranscript(event.item_id, event.transcript);
        if (GOODBYE_PATTERN.test(event.transcript)) this.goodbyePhraseSeen = true;
        this.transcriptChanged();
        return;
      case 'response.output_audio.done': {
        this.sendAudioDoneMark(event.item_id);
        return;
      }
      case 'response.function_call_arguments.done':
        if (event.name === 'end_call') this.onEndCall(event.call_id);
        else if (event.name === RECORD_LEAD_FIELD) this.onRecordLeadField(event.call_id, event.arguments);
        return;
      case 'response.done':
        // A tool's output was sent during this response: the agent speaks next (a response.create while a response
        // is active is refused by the API, so it waits for this).
        if (this.respondAfterDone) {
          this.respondAfterDone = false;
          if (!this.ended && this.goodbye === null) this.model?.send(responseCreate());
        }
        // The fallback: the agent said goodbye but did not call end_call.
        if (this.goodbyePhraseSeen && this.goodbye === null) this.beginGoodbye('phrase');
        return;
      case 'error':
        this.options.logger.warn({ code: event.error.code, errorType: event.error.type }, 'model reported an error');
        return;
      default:
        return;
    }
  }

  /**
   * end_call: ends the call, unless required fields are still missing the first time: then the output names them and
   * the agent is asked to respond (it asks for them); the next end_call ends the call whatever is missing.
   */
  private onEndCall(callId: string): void {
    if (this.goodbye !== null || this.ended) {
      this.model?.send(functionCallOutput(callId, END_CALL_OK_OUTPUT));
      return;
    }
    const decision = this.capture.endCall(this.options.liveReading?.() ?? null);
    this.model?.send(functionCallOutput(callId, decision.output));
    if (decision.end) {
      this.beginGoodbye('tool');
      return;
    }
    this.options.logger.info({ event: 'end_call_deferred', missing: decision.missing }, 'end_call deferred: fields missing');
    // The goodbye said in this response is not the end any more.
    this.goodbyePhraseSeen = false;
    this.respondAfterDone = true;
  }

  /** record_lead_field: the value checked by its normalizer; the output says accepted or refused and why. */
  private onRecordLeadField(callId: string, argumentsJson: string): void {
    const outcome = this.capture.record(argumentsJson);
    this.model?.send(functionCallOutput(callId, outcome.output));
    this.respondAfterDone = true;
    if (outcome.accepted !== undefined) {
      this.counters.fieldsCaptured++;
      this.options.notify({ type: 'FIELD_CAPTURED', field: outcome.accepted.field, captured: outcome.accepted.captured });
      return;
    }
    this.counters.fieldsRefused++;
    // The field's name and the reason (which names the problem, never the value).
    this.options.logger.info(
      { event: 'field_refused', field: outcome.refused?.field, attempts: outcome.refused?.attempts, reason: outcome.refused?.reason ?? 'bad arguments' },
      'lead field refused',
    );
  }

  /** `speechStartMs`: where the model says the speech began, in ms of caller audio since the session's start. */
  private onBargeIn(speechStartMs: number): void {
    if (this.goodbye !== null) return; // the call is ending; let the goodbye play out
    const truncation = this.playback.onBargeIn();
    if (truncation === null) return;
    this.counters.bargeIns++;
    if (this.twilio !== null) {
      const heardAt = this.now();
      this.twilio.send(twilioClear(this.streamSid));
      this.tap?.clear();
      this.agentPlaysUntilMs = this.streamClockMs();
      this.deadAir.agentCleared(heardAt);
      // What the relay adds to a barge-in: the model's speech_started to the clear on its way to Twilio.
      this.reportWait('barge_in', this.now() - heardAt);
      // The agent audio the caller heard over their own speech: the caller audio since the speech began (the model
      // detects speech some hundred ms after it starts), capped by what of the item has played.
      const sinceSpeechMs = Math.max(0, this.callerAudioBytes / 8 - speechStartMs);
      this.reportWait('barge_in_heard', Math.min(sinceSpeechMs, truncation.audioEndMs));
    }
    this.model?.send(conversationItemTruncate(truncation.itemId, 0, truncation.audioEndMs));
  }

  /** The goodbye is said: hang up once everything sent so far has played (a final mark makes that observable). */
  private beginGoodbye(via: 'tool' | 'phrase'): void {
    if (this.goodbye !== null || this.ended) return;
    // Said before Twilio's stream is up (in the greeting the model produced early): the call has no conversation
    // yet to end. It ends once the stream attaches, after the held audio has played.
    if (this.twilio === null) {
      this.goodbyeBeforeStream = via;
      return;
    }
    const itemId = `goodbye-${via}`;
    this.goodbyeAt = this.now();
    const mark = this.twilio !== null ? this.playback.onAudioDone(itemId) : null;
    this.goodbye = { via, mark };
    this.options.notify({ type: 'GOODBYE', via });
    if (mark !== null && this.twilio !== null) this.twilio.send(twilioMark(this.streamSid, mark));
    else this.options.notify({ type: 'GOODBYE_PLAYED' });
  }

  private transcriptChanged(): void {
    this.options.notify({ type: 'TRANSCRIPT_UPDATED', turns: this.turns() });
    if (this.transcript.pendingCount() === 0) this.releaseSettledWaiters();
  }

  private releaseSettledWaiters(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- what the call's actors use ----

  /** The transcript in conversation order, without relay bookkeeping. */
  turns(): Turn[] {
    return this.transcript.turns().map(({ role, text }) => ({ role, text }));
  }

  /** Per turn of `turns()`, where it begins in the call's recording (ms since Twilio's `start`), or null if unknown. */
  turnStartsMs(): Array<number | null> {
    return this.transcript.turns().map(({ itemId }) => this.itemStartMs.get(itemId) ?? null);
  }

  /** Ms since Twilio's `start` attached the stream (the recording's zero); 0 before it. */
  private streamClockMs(): number {
    return this.streamAttachedAt === null ? 0 : this.now() - this.streamAttachedAt;
  }

  /** Resolves with the transcript once no caller transcription is pending (or the model is gone). */
  async whenTranscriptSettled(signal: AbortSignal): Promise<Turn[]> {
    if (this.transcript.pendingCount() > 0 && this.model !== null) {
      await new Promise<void>((resolve) => {
        this.settledWaiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    return this.turns();
  }

  /** Ends the Twilio leg: closing the stream lets Twilio run the TwiML that follows `<Connect>`. */
  hangUpTwilio(): void {
    this.ended = true;
    this.conversationOver();
    if (this.goodbyeAt !== null && this.twilio !== null) this.reportWait('goodbye', this.now() - this.goodbyeAt);
    const twilio = this.twilio;
    this.twilio = null;
    twilio?.close();
  }

  /** Closes the model's socket; nothing more is expected from it. */
  closeModel(): void {
    this.ended = true;
    this.conversationOver();
    const model = this.model;
    this.model = null;
    model?.close();
    this.releaseSettledWaiters();
  }
}
