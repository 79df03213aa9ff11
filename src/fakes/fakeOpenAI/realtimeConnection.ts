import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import type {
  ConversationItem,
  RealtimeServerEvent,
  SessionCreatedEvent,
} from 'openai/resources/realtime/realtime';
import { MULAW_BYTES_PER_MS, toneMulaw } from './mulaw.js';
import type {
  AgentStep,
  BargeInStep,
  CallerStep,
  CallerTranscriptionFailsStep,
  DropSocketStep,
  Script,
} from './script.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A server event before the fake stamps its `event_id`. The SDK's types keep the fake honest about the wire. */
export type OutgoingEvent = DistributiveOmit<RealtimeServerEvent, 'event_id'>;

/** How the fake paces and sizes what it says. */
export interface RealtimePacing {
  /** Stream agent audio at real-time pace (true) or as fast as the socket takes it (false). */
  realTime: boolean;
  msPerWord: number;
  chunkMs: number;
  /** Caller audio a caller step waits for when the step does not say. */
  defaultAfterAudioMs: number;
  /** The first agent step starts on the client's `response.create`, or as soon as the socket opens. */
  startOn: 'response.create' | 'connect';
}

/** A function call the fake made, and what the client answered. */
export interface RecordedFunctionCall {
  name: string;
  callId: string;
  arguments: string;
  /** The client's `function_call_output` for it, or null while none came. */
  output: string | null;
  /** A `response.create` came after the output: the model was asked to respond to it. */
  answered: boolean;
}

/** How many times the fake calls end_call in a row when each is refused and no step is left (then it gives up). */
const MAX_END_CALLS = 3;

export interface RecordedTruncate {
  item_id: string;
  content_index: number;
  audio_end_ms: number;
}

/** One agent response whose audio is streaming. */
interface AgentAudio {
  responseId: string;
  itemId: string;
  totalMs: number;
  sentMs: number;
  cancelled: boolean;
  finished: Promise<void>;
}

/**
 * One Realtime WebSocket connection to the fake: answers the client's events, runs its script, and records what
 * the client sent for assertions.
 */
export class FakeRealtimeConnection {
  /** The `session` object of every `session.update`, in order. */
  readonly sessionUpdates: Record<string, unknown>[] = [];
  readonly truncates: RecordedTruncate[] = [];
  /** Types of every client event, in order (audio appends included). */
  readonly eventsReceived: string[] = [];
  /** Types of every server event sent. */
  readonly eventsSent: string[] = [];
  /** Items the client added with `conversation.item.create` (function call outputs). */
  readonly itemsCreated: Record<string, unknown>[] = [];
  /** Every function call the script made (end_call, record_lead_field), with the client's output. */
  readonly functionCalls: RecordedFunctionCall[] = [];
  /** Emits `callerHangsUp` when the script reaches that cue, `step` (index) as each step starts, `scriptDone`. */
  readonly cues = new EventEmitter();
  callerAudioBytes = 0;
  responseCreates = 0;
  closed = false;
  /** Settles when the script has run to its end or the socket closed. */
  readonly scriptDone: Promise<void>;

  private session: Record<string, unknown>;
  private eventCounter = 0;
  private idCounter = 0;
  private lastItemId: string | null = null;
  private audioMarkBytes = 0;
  private pendingUserItemId: string | null = null;
  private current: AgentAudio | null = null;
  private readonly itemAudioMs = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Transcriptions of caller steps with `holdTranscript`, waiting for releaseHeldTranscripts(). */
  private heldTranscripts: Array<() => void> = [];

  constructor(
    readonly id: number,
    readonly model: string | null,
    private readonly socket: WebSocket,
    script: Script,
    private readonly pacing: RealtimePacing,
  ) {
    this.session = defaultSession(model);
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', () => this.onClose());
    socket.on('error', () => this.onClose());
    this.emit({ type: 'session.created', session: this.session as unknown as SessionCreatedEvent['session'] });
    this.scriptDone = this.run(script);
  }

  /** Caller audio received so far, in milliseconds (mu-law: 8 bytes per ms). */
  get callerAudioMs(): number {
    return this.callerAudioBytes / MULAW_BYTES_PER_MS;
  }

  /** The last `session.update`'s session, or undefined. */
  get lastSessionUpdate(): Record<string, unknown> | undefined {
    return this.sessionUpdates[this.sessionUpdates.length - 1];
  }

  /** Resolves once the client has sent `count` events of this type. */
  async waitForEvent(type: string, count = 1): Promise<void> {
    const ok = await this.waitUntil(() => this.eventsReceived.filter((t) => t === type).length >= count);
    if (!ok) throw new Error(`fake realtime connection closed before ${count} ${type}`);
  }

  /** Send any server event (tests use it to inject odd or unknown events). */
  send(event: { type: string; [key: string]: unknown }): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    const withId = { event_id: `event_${this.id}_${++this.eventCounter}`, ...event };
    this.eventsSent.push(event.type);
    this.socket.send(JSON.stringify(withId));
  }

  /** Close from the server side with a close frame. */
  /** Emits the held caller transcriptions now; returns how many there were. */
  releaseHeldTranscripts(): number {
    const held = this.heldTranscripts;
    this.heldTranscripts = [];
    for (const transcribe of held) transcribe();
    return held.length;
  }

  close(code = 1000, reason = 'fake closed'): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
    this.onClose();
  }

  /** Every scripted event goes through here, typed by the SDK's server event union. */
  private emit(event: OutgoingEvent): void {
    this.send(event);
  }

  // --- client events ------------------------------------------------------------------------------------------

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.sendError('invalid_request_error', 'binary frames are not supported', null);
    let event: unknown;
    try {
      event = JSON.parse(data.toString());
    } catch {
      return this.sendError('invalid_request_error', 'We could not parse the JSON body of your request.', null);
    }
    if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') {
      return this.sendError('invalid_request_error', "Missing required parameter: 'type'.", null);
    }
    const e = event as { type: string; event_id?: string; [key: string]: unknown };
    this.eventsReceived.push(e.type);
    const clientEventId = typeof e.event_id === 'string' ? e.event_id : null;
    switch (e.type) {
      case 'session.update':
        return this.onSessionUpdate(e.session, clientEventId);
      case 'input_audio_buffer.append':
        if (typeof e.audio !== 'string') return this.sendError('invalid_request_error', "Missing 'audio'.", clientEventId);
        this.callerAudioBytes += Buffer.byteLength(e.audio, 'base64');
        return this.notify();
      case 'input_audio_buffer.commit':
      case 'input_audio_buffer.clear':
        return;
      case 'conversation.item.truncate':
        return this.onTruncate(e, clientEventId);
      case 'conversation.item.create':
        return this.onItemCreate(e.item, clientEventId);
      case 'response.create':
        this.responseCreates++;
        for (const call of this.functionCalls) if (call.output !== null) call.answered = true;
        return this.notify();
      case 'response.cancel':
        if (this.current) this.current.cancelled = true;
        return this.notify();
      default:
        return this.sendError('invalid_request_error', `Invalid value: '${e.type}'. Unknown event type.`, clientEventId);
    }
  }

  private onSessionUpdate(session: unknown, clientEventId: string | null): void {
    if (!isRecord(session) || session.type !== 'realtime') {
      return this.sendError('invalid_request_error', "Missing required parameter: 'session.type'.", clientEventId);
    }
    this.sessionUpdates.push(session);
    this.session = deepMerge(this.session, session);
    this.emit({ type: 'session.updated', session: this.session as unknown as SessionCreatedEvent['session'] });
  }

  private onTruncate(e: Record<string, unknown>, clientEventId: string | null): void {
    const itemId = e.item_id;
    const audioEndMs = e.audio_end_ms;
    if (typeof itemId !== 'string' || typeof audioEndMs !== 'number') {
      return this.sendError('invalid_request_error', "Missing 'item_id' or 'audio_end_ms'.", clientEventId);
    }
    const contentIndex = typeof e.content_index === 'number' ? e.content_index : 0;
    this.truncates.push({ item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs });
    const sentMs = this.itemAudioMs.get(itemId);
    if (sentMs === undefined) {
      return this.sendError('invalid_request_error', `Item with item_id '${itemId}' not found.`, clientEventId);
    }
    if (audioEndMs > sentMs) {
      return this.sendError(
        'invalid_request_error',
        `Audio content of ${sentMs}ms is already shorter than ${audioEndMs}ms`,
        clientEventId,
      );
    }
    if (this.current?.itemId === itemId) this.current.cancelled = true;
    this.notify();
    this.emit({ type: 'conversation.item.truncated', item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs });
  }

  private onItemCreate(item: unknown, clientEventId: string | null): void {
    if (!isRecord(item) || typeof item.type !== 'string') {
      return this.sendError('invalid_request_error', "Missing required parameter: 'item'.", clientEventId);
    }
    this.itemsCreated.push(item);
    if (item.type === 'function_call_output') {
      const call = this.functionCalls.find((c) => c.callId === item.call_id && c.output === null);
      if (call !== undefined) call.output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
    }
    const withId = { ...item, id: typeof item.id === 'string' ? item.id : this.newId('item'), status: 'completed' };
    const previous = this.lastItemId;
    this.lastItemId = withId.id;
    const added = withId as unknown as ConversationItem;
    this.emit({ type: 'conversation.item.added', item: added, previous_item_id: previous });
    this.emit({ type: 'conversation.item.done', item: added, previous_item_id: previous });
    this.notify();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.notify();
  }

  // --- the script ---------------------------------------------------------------------------------------------

  private async run(script: Script): Promise<void> {
    let started = this.pacing.startOn === 'connect';
    for (const [index, step] of script.entries()) {
      if (this.closed) break;
      this.cues.emit('step', index);
      if ('agent' in step) {
        if (!started && !(await this.waitUntil(() => this.responseCreates > 0))) break;
        started = true;
        if (step.firstAudioDelayMs !== undefined && step.firstAudioDelayMs > 0) await this.sleep(step.firstAudioDelayMs);
        if (this.closed) break;
        const audio = this.startAgent(step);
        const next = script[index + 1];
        // A barge-in must happen while this audio streams, so only then is the next step started early.
        if (!(next && 'bargeIn' in next)) await audio.finished;
      } else if ('caller' in step || 'callerTranscriptionFails' in step) {
        if (!(await this.callerTurn(step))) break;
      } else if ('bargeIn' in step) {
        await this.bargeIn(step);
      } else if ('endCall' in step) {
        await this.endCall(index === script.length - 1);
      } else if ('recordField' in step) {
        const call = this.functionCall('record_lead_field', JSON.stringify(step.recordField));
        await this.answered(call);
      } else if ('callerHangsUp' in step) {
        this.cues.emit('callerHangsUp');
      } else if ('dropSocket' in step) {
        this.drop(step);
      } else if ('wait' in step) {
        await this.sleep(step.wait);
      }
    }
    if (this.current) await this.current.finished;
    this.cues.emit('scriptDone');
  }

  /**
   * Opens a response whose single output is `item`, as the real server does: response.created, the output item,
   * and the item added to the conversation after the previous one. Returns that previous item's id.
   */
  private openResponse(responseId: string, itemId: string, item: ConversationItem): string | null {
    this.emit({
      type: 'response.created',
      response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] },
    });
    this.emit({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item });
    const previous = this.lastItemId;
    this.lastItemId = itemId;
    this.emit({ type: 'conversation.item.added', item, previous_item_id: previous });
    return previous;
  }

  private startAgent(step: AgentStep): AgentAudio {
    const responseId = this.newId('resp');
    const itemId = this.newId('item');
    const words = step.agent.split(/\s+/).filter((w) => w.length > 0);
    const totalMs = Math.max(this.pacing.chunkMs, words.length * (step.msPerWord ?? this.pacing.msPerWord));
    const item: ConversationItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    const previous = this.openResponse(responseId, itemId, item);
    this.emit({
      type: 'response.content_part.added',
      response_id: responseId,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'audio', transcript: '' },
    });
    this.itemAudioMs.set(itemId, 0);
    const audio: AgentAudio = { responseId, itemId, totalMs, sentMs: 0, cancelled: false, finished: Promise.resolve() };
    this.current = audio;
    audio.finished = this.streamAgent(audio, words, previous);
    return audio;
  }

  private async streamAgent(audio: AgentAudio, words: string[], previous: string | null): Promise<void> {
    const { responseId, itemId, totalMs } = audio;
    const ids = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
    const startedAt = Date.now();
    let wordsSent = 0;
    while (audio.sentMs < totalMs && !audio.cancelled && !this.closed) {
      const ms = Math.min(this.pacing.chunkMs, totalMs - audio.sentMs);
      this.emit({ type: 'response.output_audio.delta', ...ids, delta: toneMulaw(ms, audio.sentMs).toString('base64') });
      audio.sentMs += ms;
      this.itemAudioMs.set(itemId, audio.sentMs);
      // The transcript runs alongside the audio, in proportion.
      const due = Math.ceil((words.length * audio.sentMs) / totalMs);
      if (due > wordsSent) {
        const delta = (wordsSent > 0 ? ' ' : '') + words.slice(wordsSent, due).join(' ');
        this.emit({ type: 'response.output_audio_transcript.delta', ...ids, delta });
        wordsSent = due;
      }
      this.notify();
      if (this.pacing.realTime) await this.sleep(startedAt + audio.sentMs - Date.now());
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.current === audio) this.current = null;
    if (this.closed) return;
    const transcript = words.slice(0, wordsSent).join(' ');
    const status = audio.cancelled ? 'incomplete' : 'completed';
    const done: ConversationItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status,
      content: [{ type: 'output_audio', transcript }],
    };
    this.emit({ type: 'response.output_audio.done', ...ids });
    this.emit({ type: 'response.output_audio_transcript.done', ...ids, transcript });
    this.emit({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript } });
    this.emit({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: done });
    this.emit({ type: 'conversation.item.done', item: done, previous_item_id: previous });
    this.emit({
      type: 'response.done',
      response: {
        id: responseId,
        object: 'realtime.response',
        status: audio.cancelled ? 'cancelled' : 'completed',
        ...(audio.cancelled ? { status_details: { type: 'cancelled', reason: 'turn_detected' } } : {}),
        output: [done],
      },
    });
    if (!audio.cancelled) this.audioMarkBytes = this.callerAudioBytes;
  }

  private async bargeIn(step: BargeInStep): Promise<void> {
    const audio = this.current;
    if (audio) {
      const afterMs = step.afterAgentAudioMs ?? Math.min(200, audio.totalMs / 2);
      await this.waitUntil(() => audio.sentMs >= afterMs || audio.cancelled || this.current !== audio);
    }
    if (this.closed) return;
    const itemId = this.newId('item');
    this.pendingUserItemId = itemId;
    const audioStartMs = Math.max(0, Math.round(this.callerAudioMs) - (step.speechBeganMsAgo ?? 0));
    this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: audioStartMs, item_id: itemId });
    // Server VAD interrupts the response: no more audio for it.
    if (audio) {
      audio.cancelled = true;
      this.notify();
      await audio.finished;
    }
    this.audioMarkBytes = this.callerAudioBytes;
  }

  /** Returns false when the socket closed while waiting. */
  private async callerTurn(step: CallerStep | CallerTranscriptionFailsStep): Promise<boolean> {
    const needMs = step.afterAudioMs ?? this.pacing.defaultAfterAudioMs;
    const mark = this.audioMarkBytes;
    // As the real server: no caller turn before any caller audio. The client asks for the greeting before Twilio's
    // stream is up (the early greeting); the caller cannot have said anything until the stream carries audio.
    const heard = await this.waitUntil(() => this.callerAudioBytes > 0 && this.callerAudioBytes - mark >= needMs * MULAW_BYTES_PER_MS);
    if (!heard) return false;
    const nowMs = Math.round(this.callerAudioMs);
    const itemId = this.pendingUserItemId ?? this.newId('item');
    if (this.pendingUserItemId === null) {
      this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.max(0, nowMs - needMs), item_id: itemId });
    }
    this.pendingUserItemId = null;
    const previous = this.lastItemId;
    this.lastItemId = itemId;
    const item: ConversationItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio' }],
    };
    this.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: nowMs, item_id: itemId });
    this.emit({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: previous });
    this.emit({ type: 'conversation.item.added', item, previous_item_id: previous });
    this.emit({ type: 'conversation.item.done', item, previous_item_id: previous });
    const transcribe = (): void => {
      if ('caller' in step) {
        this.emit({
          type: 'conversation.item.input_audio_transcription.completed',
          item_id: itemId,
          content_index: 0,
          transcript: step.caller,
          usage: { type: 'duration', seconds: Math.max(1, Math.round(needMs / 1000)) },
        });
      } else {
        this.emit({
          type: 'conversation.item.input_audio_transcription.failed',
          item_id: itemId,
          content_index: 0,
          error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'Audio could not be transcribed' },
        });
      }
    };
    const delayMs = 'caller' in step ? step.transcriptDelayMs : undefined;
    if ('caller' in step && step.holdTranscript === true) {
      this.heldTranscripts.push(transcribe);
    } else if (delayMs !== undefined && delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        transcribe();
      }, delayMs);
      this.timers.add(timer);
    } else {
      transcribe();
    }
    this.audioMarkBytes = this.callerAudioBytes;
    return true;
  }

  /**
   * end_call, then the client's output. A refused end (fields missing) waits for the client's response.create: the
   * next step answers it, or, when this was the last step, the fake calls end_call again (so old scripts end).
   */
  private async endCall(last: boolean): Promise<void> {
    for (let tries = 0; tries < MAX_END_CALLS; tries++) {
      const call = this.functionCall('end_call', '{}');
      if (!(await this.waitUntil(() => call.output !== null))) return;
      if (!refusesEnd(call.output)) return;
      if (!(await this.answered(call)) || !last) return;
    }
  }

  /** Waits for the client's output and its response.create; false when the socket closed first. */
  private async answered(call: RecordedFunctionCall): Promise<boolean> {
    return this.waitUntil(() => call.answered);
  }

  /** A response whose single output is a function call, as the real server streams one. */
  private functionCall(name: string, args: string): RecordedFunctionCall {
    const responseId = this.newId('resp');
    const itemId = this.newId('item');
    const callId = this.newId('call');
    const recorded: RecordedFunctionCall = { name, callId, arguments: args, output: null, answered: false };
    this.functionCalls.push(recorded);
    const item: ConversationItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'function_call',
      status: 'in_progress',
      name,
      call_id: callId,
      arguments: '',
    };
    const done: ConversationItem = { ...item, status: 'completed', arguments: args };
    const ids = { response_id: responseId, item_id: itemId, output_index: 0 };
    const previous = this.openResponse(responseId, itemId, item);
    this.emit({ type: 'response.function_call_arguments.delta', ...ids, call_id: callId, delta: args });
    this.emit({ type: 'response.function_call_arguments.done', ...ids, call_id: callId, name, arguments: args });
    this.emit({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: done });
    this.emit({ type: 'conversation.item.done', item: done, previous_item_id: previous });
    this.emit({
      type: 'response.done',
      response: { id: responseId, object: 'realtime.response', status: 'completed', output: [done] },
    });
    return recorded;
  }

  private drop(step: DropSocketStep): void {
    if (step.mode === 'close') this.socket.close(1011, 'fake dropped the session');
    else this.socket.terminate();
    this.onClose();
  }

  // --- plumbing -----------------------------------------------------------------------------------------------

  private sendError(type: string, message: string, clientEventId: string | null): void {
    this.emit({ type: 'error', error: { type, message, code: null, param: null, event_id: clientEventId } });
  }

  private newId(prefix: string): string {
    return `${prefix}_${this.id}_${++this.idCounter}`;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves true once `predicate` holds, false if the socket closes first. */
  private waitUntil(predicate: () => boolean): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) {
          this.waiters.delete(check);
          resolve(true);
        } else if (this.closed) {
          this.waiters.delete(check);
          resolve(false);
        }
      };
      this.waiters.add(check);
    });
  }

  /** Sleeps, cut short when the socket closes. */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.waiters.delete(onClose);
        resolve();
      };
      const onClose = (): void => {
        if (this.closed) done();
      };
      const timer = setTimeout(done, ms);
      this.timers.add(timer);
      this.waiters.add(onClose);
    });
  }
}

/** An end_call output that refuses the end (`{"ok":false,...}`: details still missing). */
function refusesEnd(output: string | null): boolean {
  if (output === null) return false;
  try {
    const parsed: unknown = JSON.parse(output);
    return isRecord(parsed) && parsed.ok === false;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Session updates are partial: nested objects merge, everything else replaces. */
function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const old = out[key];
    out[key] = isRecord(old) && isRecord(value) ? deepMerge(old, value) : value;
  }
  return out;
}

function defaultSession(model: string | null): Record<string, unknown> {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: `sess_fake_${Math.random().toString(36).slice(2, 10)}`,
    model: model ?? 'gpt-realtime',
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24000 },
        transcription: null,
        noise_reduction: null,
        turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200 },
      },
      output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
    },
  };
}
