import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { callMachine, type CallEvent } from '../../machines/callMachine.js';
import type { CallOutput, CallTimeouts, EndReason } from '../../machines/callTypes.js';
import type { Logger } from '../log.js';
import { reasonOf } from '../errors.js';
import { extractOffline } from '../extraction/offline/extractOffline.js';
import { stateName as dottedStateName } from './stateName.js';
import type { Turn } from '../leads/lead.js';
import { CallRelay, type TwilioSink } from './relay.js';
import type { CallDeps } from './callActors.js';

/** How often a live call's transcript is written into its session at most. */
export const TRANSCRIPT_PERSIST_DEBOUNCE_MS = 250;
/** How often a live call touches its session row (the default when CallDeps does not say). */
export const HEARTBEAT_MS = 20_000;

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
 * One phone call: its state machine actor, its relay, and the session row that records it.
 * Created when Twilio's webhook arrives (so the model session warms up while Twilio opens the stream).
 */
export class Call {
  readonly callSid: string;
  readonly relay: CallRelay;
  readonly actor: Actor<typeof callMachine>;
  readonly logger: Logger;
  readonly done: Promise<CallOutput>;
  /** Whether the caller should hear the apology when the stream closes (the model failed). */
  apology = false;
  /** The Twilio leg was ended by us; a stream that attaches afterwards is closed at once. */
  twilioEnded = false;
  readonly phaseTimes: Record<string, string> = {};
  /** Serialises the session row writes of this call, in the order the machine asked for them. */
  private writes: Promise<unknown> = Promise.resolve();
  private sessionId: string | null = null;
  /** The lead went to the local spool (database unreachable): recordFailure must not spool it again. */
  spooled = false;
  /** The submission's write of the lead while it is under way (or settled); null before submission. */
  acceptance: Promise<unknown> | null = null;
  private transcriptTimer: NodeJS.Timeout | undefined;
  private latestTurns: Turn[] | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: CallDeps,
    options: CallOptions,
  ) {
    this.callSid = options.callSid;
    this.logger = deps.logger.child({ callSid: options.callSid });
    this.relay = new CallRelay({
      logger: this.logger,
      sessionUpdate: deps.sessionUpdate,
      notify: (event) => {
        this.send(event);
        // A live reading of the fields, so the machine (and the inspector) know what the caller has given so far.
        if (event.type === 'TRANSCRIPT_UPDATED') {
          this.persistTranscript(event.turns);
          this.send({ type: 'FIELDS_UPDATED', fields: extractOffline({ callerPhone: options.callerPhone, turns: event.turns }).lead });
        }
      },
    });
    this.actor = createActor(options.machine, {
      input: {
        callSid: options.callSid,
        callerPhone: options.callerPhone,
        leadId: options.leadId,
        timeouts: options.timeouts,
      },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    // A live call touches its session row now and then, so a recovery sweep (here or in another instance) never
    // takes it for one abandoned by a dead process.
    this.heartbeatTimer = setInterval(() => {
      const id = this.sessionId;
      if (id !== null) void this.enqueueWrite(() => deps.pipeline.store.updateSessionState(id, {}));
    }, deps.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeatTimer.unref();
    this.done = new Promise((resolve) => {
      this.actor.subscribe({
        complete: () => {
          this.stopTimers();
          resolve(this.actor.getSnapshot().output as CallOutput);
        },
        error: (error) => {
          this.stopTimers();
          this.logger.error({ err: reasonOf(error) }, 'call actor crashed');
          resolve({ outcome: 'lost', leadId: options.leadId, reason: reasonOf(error), endReason: null });
        },
      });
    });
  }

  /**
   * Writes the transcript into the session as the conversation goes (debounced), so a process that dies mid-call
   * leaves enough behind for the recovery sweep to make the lead.
   */
  private persistTranscript(turns: Turn[]): void {
    this.latestTurns = turns;
    if (this.transcriptTimer !== undefined) return;
    this.transcriptTimer = setTimeout(() => {
      this.transcriptTimer = undefined;
      const transcript = this.latestTurns;
      const id = this.sessionId;
      if (transcript === undefined || id === null || this.actor.getSnapshot().status !== 'active') return;
      void this.enqueueWrite(() => this.deps.pipeline.store.updateSessionState(id, { transcript }));
    }, TRANSCRIPT_PERSIST_DEBOUNCE_MS);
    this.transcriptTimer.unref();
  }

  /** Stops the call's timers (the call is over). */
  private stopTimers(): void {
    clearTimeout(this.transcriptTimer);
    clearInterval(this.heartbeatTimer);
  }

  start(): this {
    this.actor.start();
    return this;
  }

  /** Sends an event to the call's machine; ignored once the call is over. */
  send(event: CallEvent): void {
    if (this.actor.getSnapshot().status !== 'active') return;
    this.actor.send(event);
  }

  /** Twilio's `start` arrived on a media socket for this call. */
  attachStream(sink: TwilioSink, streamSid: string): void {
    if (this.twilioEnded) {
      sink.close();
      return;
    }
    this.relay.attachTwilio(sink, streamSid);
    this.send({ type: 'STREAM_STARTED', streamSid });
  }

  callerHungUp(): void {
    this.twilioEnded = true;
    this.send({ type: 'CALLER_HUNG_UP' });
  }

  /** The machine's state as a dotted string, for logs and the session row. */
  stateName(): string {
    return dottedStateName(this.actor.getSnapshot().value);
  }

  endReason(): EndReason | null {
    return this.actor.getSnapshot().context.endReason;
  }

  /** Queues a session write after the previous ones; failures are logged, never thrown. */
  enqueueWrite(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write).catch((error: unknown) => {
      this.logger.error({ err: reasonOf(error) }, 'session write failed');
    });
    this.writes = next;
    return next;
  }

  /** Resolves with the session id once the writes queued so far have run. */
  async session(): Promise<string | null> {
    await this.writes;
    return this.sessionId;
  }

  setSessionId(id: string): void {
    this.sessionId = id;
  }

  currentSessionId(): string | null {
    return this.sessionId;
  }
}
