import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { callMachine, type CallContext, type CallEvent } from '../../machines/callMachine.js';
import type { CallOutput, CallTimeouts, EndReason } from '../../machines/callTypes.js';
import type { Logger } from '../log.js';
import { reasonOf } from '../errors.js';
import { LiveReader } from '../extraction/offline/liveReader.js';
import type { CallDeps } from './callDeps.js';
import { callQuality, type CallQuality } from './callQuality.js';
import { DEAD_AIR_THRESHOLD_MS } from './deadAirMeter.js';
import { CallSession } from './callSession.js';
import { CallRelay, type CallAudioTap, type TwilioSink } from './relay.js';
import { stateName as dottedStateName } from './stateName.js';

/** How long a finished call waits for its recording to be stored before it is done anyway (the store goes on). */
export const RECORDING_STORE_WAIT_MS = 30_000;

export interface CallOptions {
  callSid: string;
  callerPhone: string | null;
  leadId: string;
  timeouts: Partial<CallTimeouts>;
  /** The call machine with its implementations provided, shared by every call of the registry. */
  machine: ProvidedCallMachine;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** The call machine with the real actors and actions (see callActors). */
export type ProvidedCallMachine = ReturnType<typeof callMachine.provide>;

/**
 * One phone call: its state machine actor, its relay, and the session row that records it. Created when Twilio's
 * webhook arrives (so the model session warms up while Twilio opens the stream). What the call is doing lives in
 * the actor's snapshot; this class only connects the actor to the relay and the session row.
 */
export class Call {
  readonly callSid: string;
  /** The call's lead id (the same on whichever instance runs the call: an adopting one takes it from the session). */
  readonly leadId: string;
  readonly relay: CallRelay;
  readonly actor: Actor<typeof callMachine>;
  readonly logger: Logger;
  readonly session: CallSession;
  /** The call's output, once its machine is done, its session row written and its recording stored. */
  readonly done: Promise<CallOutput>;
  private readonly deps: CallDeps;
  private recording: { tap: CallAudioTap; finish(): Promise<unknown> } | null = null;
  /** The recording's store, from the conversation's end; the call is done only once it settled (or timed out). */
  private recordingStored: Promise<void> = Promise.resolve();

  constructor(deps: CallDeps, options: CallOptions) {
    this.callSid = options.callSid;
    this.leadId = options.leadId;
    this.deps = deps;
    this.logger = deps.logger.child({ callSid: options.callSid });
    // The live reading grows with the transcript: each update reads only the turns that changed.
    const reader = new LiveReader(options.callerPhone, new Date(), deps.refusedStates);
    this.session = new CallSession(deps.sessions, options.callSid, this.logger, { heartbeatMs: deps.heartbeatMs, instanceId: deps.instanceId });
    this.relay = new CallRelay({
      logger: this.logger,
      sessionUpdate: deps.sessionUpdate,
      callerPhone: options.callerPhone,
      ...(deps.observeWait ? { observeWait: deps.observeWait } : {}),
      ...(deps.refusedStates ? { refusedStates: deps.refusedStates } : {}),
      liveReading: () => (this.isActive() ? this.actor.getSnapshot().context.reading : null),
      ...(deps.greetingPrompt ? { greetingPrompt: deps.greetingPrompt } : {}),
      onConversationEnded: () => this.storeRecording(),
      notify: (event) => {
        this.send(event);
        if (!this.isActive()) return;
        // A field the agent recorded is written at once: a crash mid-call keeps it (durable live capture).
        if (event.type === 'FIELD_CAPTURED') this.session.persistCaptured(this.actor.getSnapshot().context.captured);
        if (event.type !== 'TRANSCRIPT_UPDATED') return;
        // Every caller turn is written as it arrives, so a process that dies mid-call leaves it for the sweep; and
        // a live reading of the fields, so the machine (and the inspector) know what the caller has given so far.
        this.session.persistTranscript(event.turns);
        this.send({ type: 'FIELDS_UPDATED', reading: reader.update(event.turns) });
      },
    });
    this.actor = createActor(options.machine, {
      input: {
        callSid: options.callSid,
        callerPhone: options.callerPhone,
        leadId: options.leadId,
        initialReading: reader.update([]),
        timeouts: options.timeouts,
      },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.done = new Promise((resolve) => {
      this.actor.subscribe({
        complete: () => {
          this.session.stop();
          // Done once the final phase is written too, so a shutdown right after never cuts that write off.
          const output = this.actor.getSnapshot().output as CallOutput;
          // The conversation's end to the lead's outcome (sent, saved failed, held, or left to the outbox).
          const leadDelivery = this.leadDeliveryMs();
          if (leadDelivery !== null) this.relay.reportWait('lead_delivery', leadDelivery);
          void Promise.all([this.session.idle(), this.recordingStored]).then(() => resolve(output));
        },
        error: (error) => {
          this.session.stop();
          this.storeRecording();
          this.logger.error({ err: reasonOf(error) }, 'call actor crashed');
          resolve({ outcome: 'lost', leadId: options.leadId, reason: reasonOf(error), endReason: null });
        },
      });
    });
  }

  start(): this {
    this.actor.start();
    return this;
  }

  private isActive(): boolean {
    return this.actor.getSnapshot().status === 'active';
  }

  /** Sends an event to the call's machine; ignored once the call is over. */
  send(event: CallEvent): void {
    if (this.isActive()) this.actor.send(event);
  }

  /** Twilio's `start` arrived on a media socket for this call; a call past its conversation closes it at once. */
  attachStream(sink: TwilioSink, streamSid: string): void {
    const state = this.stateName();
    if (!this.isActive() || !(state === 'connecting' || state.startsWith('streaming'))) {
      sink.close();
      return;
    }
    this.recording = this.deps.recordings?.begin(this.callSid) ?? null;
    this.relay.attachTwilio(sink, streamSid, this.recording?.tap ?? null);
    this.send({ type: 'STREAM_STARTED', streamSid });
  }

  /** The conversation is over: the recording (if any) is finished and stored; the call waits for it, bounded. */
  private storeRecording(): void {
    const recording = this.recording;
    if (recording === null) return;
    this.recording = null;
    const stored = recording.finish().then(
      () => undefined,
      (error: unknown) => this.logger.warn({ err: reasonOf(error) }, 'call recording could not be stored'),
    );
    this.recordingStored = Promise.race([stored, new Promise<void>((resolve) => setTimeout(resolve, RECORDING_STORE_WAIT_MS).unref())]);
  }

  /** Still connecting and no stream attached here: the stream may yet come, here or (no sticky routing) elsewhere. */
  awaitingStream(): boolean {
    return this.isActive() && this.stateName() === 'connecting' && !this.actor.getSnapshot().context.streamStarted;
  }

  callerHungUp(): void {
    this.send({ type: 'CALLER_HUNG_UP' });
  }

  /** Whether the caller should hear the apology after the stream closed (the model failed). */
  apology(): boolean {
    return this.actor.getSnapshot().context.apology;
  }

  /** The machine's state as a dotted string, for logs and the session row. */
  stateName(): string {
    return dottedStateName(this.actor.getSnapshot().value);
  }

  /** How the call went, from what it holds now: the final phase writes it (src/calls/callQuality.ts). */
  quality(context: CallContext): CallQuality {
    return callQuality({
      transcript: context.transcript,
      durationMs: this.relay.durationMs(),
      bargeIns: this.relay.counters.bargeIns,
      deadAir: { ...this.relay.deadAir.result(), thresholdMs: DEAD_AIR_THRESHOLD_MS },
      waits: this.relay.waits,
      leadDeliveryMs: this.leadDeliveryMs(),
      captured: context.captured,
      decision: context.extraction?.decision ?? null,
      endReason: context.endReason,
      outcome: context.lostReason !== null ? 'lost' : context.result === null ? null : context.result.pending === true ? 'pending' : context.result.outcome,
      now: new Date(),
    });
  }

  /** The conversation's end to now, in ms; null while it lasts. */
  private leadDeliveryMs(): number | null {
    const ended = this.relay.conversationEndedAt;
    return ended === null ? null : Math.max(0, performance.now() - ended);
  }

  endReason(): EndReason | null {
    return this.actor.getSnapshot().context.endReason;
  }
}
