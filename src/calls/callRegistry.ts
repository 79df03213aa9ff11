import { randomUUID } from 'node:crypto';
import type { InspectionEvent, Observer } from 'xstate';
import type { CallOutput, CallTimeouts } from '../../machines/callTypes.js';
import { callMachine } from '../../machines/callMachine.js';
import { Call, type ProvidedCallMachine } from './call.js';
import { callActors } from './callActors.js';
import type { CallDeps } from './callDeps.js';
import { reasonOf } from '../errors.js';

/** How often calls waiting for their stream check whether another instance claimed it. */
export const HANDOFF_POLL_MS = 250;

/** How long an ended call is remembered, so the stream's `<Connect action>` webhook can still ask about it. */
export const ENDED_CALL_MEMORY_MS = 120_000;

export interface CallRegistryOptions {
  deps: CallDeps;
  maxCalls: number;
  timeouts: Partial<CallTimeouts>;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** The call's lead is saved; `lifetimeMs` runs from `open` (the voice webhook) to then. */
  onCallDone?: (call: Call, output: CallOutput, lifetimeMs: number) => void;
  /** Whether a new call's lead could be kept (the database or the spool can write); no: the line is busy. */
  canKeepLeads?: () => boolean;
}

/** Why `open` refuses a new call: shutting down, at MAX_CALLS, or neither lead store can write. */
export type CallRefusal = 'draining' | 'full' | 'no-lead-store';

/** The live calls of this process, by CallSid. */
export class CallRegistry {
  private readonly live = new Map<string, Call>();
  private readonly ended = new Map<string, { apology: boolean; timer: NodeJS.Timeout }>();
  private accepting = true;
  private handoffTimer: NodeJS.Timeout | null = null;
  private handoffQuery: Promise<void> | null = null;
  /** Implementations are provided once: each finds its call by CallSid among the live ones. */
  private readonly machine: ProvidedCallMachine;

  constructor(private readonly options: CallRegistryOptions) {
    this.machine = callMachine.provide(
      callActors((callSid) => {
        const call = this.live.get(callSid);
        if (call === undefined) throw new Error('call is not live in this process');
        return call;
      }, options.deps),
    );
  }

  get size(): number {
    return this.live.size;
  }

  /**
   * The webhook arrived: create the call (its model session starts warming up now). Twilio may retry a webhook, so
   * an existing call is returned as it is. Null when the line is full, shutting down, or its lead could not be kept.
   */
  open(callSid: string, callerPhone: string | null, leadId: string = randomUUID()): Call | null {
    const existing = this.live.get(callSid);
    if (existing !== undefined) return existing;
    if (this.refusal() !== null) return null;
    const call = new Call(this.options.deps, {
      callSid,
      callerPhone,
      leadId,
      timeouts: this.options.timeouts,
      machine: this.machine,
      ...(this.options.inspect ? { inspect: this.options.inspect } : {}),
    });
    this.live.set(callSid, call);
    this.watchHandoffs();
    const openedAt = performance.now();
    void call.done.then((output) => {
      this.live.delete(callSid);
      // A CallSid that ended before (a late webhook retry opened it again) is remembered from its latest end.
      clearTimeout(this.ended.get(callSid)?.timer);
      const timer = setTimeout(() => this.ended.delete(callSid), ENDED_CALL_MEMORY_MS);
      timer.unref();
      this.ended.set(callSid, { apology: call.apology(), timer });
      this.options.onCallDone?.(call, output, performance.now() - openedAt);
    });
    return call.start();
  }

  /** Why a new call would be refused now, or null when it would be taken. */
  refusal(): CallRefusal | null {
    if (!this.accepting) return 'draining';
    if (this.live.size >= this.options.maxCalls) return 'full';
    if (this.options.canKeepLeads?.() === false) return 'no-lead-store';
    return null;
  }

  get(callSid: string): Call | undefined {
    return this.live.get(callSid);
  }

  /** Whether this instance runs the call, or ran it lately (it can answer `wantsApology` itself). */
  knows(callSid: string): boolean {
    return this.live.has(callSid) || this.ended.has(callSid);
  }

  /** Whether the caller should hear the apology after the stream closed. */
  wantsApology(callSid: string): boolean {
    return this.live.get(callSid)?.apology() ?? this.ended.get(callSid)?.apology ?? false;
  }

  /** Stops taking calls; resolves when every live call has saved its lead. */
  async drain(): Promise<void> {
    this.accepting = false;
    await Promise.all([...this.live.values()].map((call) => call.done));
  }

  /**
   * While calls wait for their stream, asks every HANDOFF_POLL_MS whether another instance claimed one (Twilio
   * opened it there: no sticky routing); each such call is told (HANDED_OFF) and lets its model go. One query a
   * tick, only while some call waits; the timer stops when no call is live.
   */
  private watchHandoffs(): void {
    if (this.handoffTimer !== null) return;
    this.handoffTimer = setInterval(() => {
      if (this.live.size === 0) {
        if (this.handoffTimer !== null) clearInterval(this.handoffTimer);
        this.handoffTimer = null;
        return;
      }
      if (this.handoffQuery !== null) return;
      const waiting = [...this.live.values()].filter((call) => call.awaitingStream());
      if (waiting.length === 0) return;
      const { sessions, instanceId, logger } = this.options.deps;
      this.handoffQuery = sessions
        .streamsClaimedElsewhere(
          waiting.map((call) => call.callSid),
          instanceId,
        )
        .then((claimed) => {
          for (const [callSid, claimer] of claimed) this.live.get(callSid)?.send({ type: 'HANDED_OFF', instanceId: claimer });
        })
        .catch((error: unknown) => logger.warn({ err: reasonOf(error) }, 'stream hand-off check failed'))
        .finally(() => {
          this.handoffQuery = null;
        });
    }, HANDOFF_POLL_MS);
    this.handoffTimer.unref();
  }

  /** Forgets remembered calls (timers) at shutdown. */
  clear(): void {
    if (this.handoffTimer !== null) clearInterval(this.handoffTimer);
    this.handoffTimer = null;
    for (const { timer } of this.ended.values()) clearTimeout(timer);
    this.ended.clear();
  }
}
