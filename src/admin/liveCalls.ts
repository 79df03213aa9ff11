import type { InspectionEvent } from 'xstate';
import { stateName } from '../calls/stateName.js';

/** One field the agent recorded live: its value (personal data: only for signed-in operators), when, after how many tries. */
export interface LiveField {
  value: string | number;
  at: string;
  attempts: number;
}

/** A call as the console's live view shows it, built from the call actor's inspection stream. */
export interface LiveCall {
  callSid: string;
  leadId: string;
  startedAt: string;
  /** The call machine's state as a dotted name (`submitting.sending`). */
  state: string;
  /** Every state the call has been in, in order (consecutive repeats folded). */
  path: string[];
  status: 'active' | 'done';
  endedAt: string | null;
  /** The lead's outcome once the machine has it (`succeeded`, `failed`, `review`, `pending`). */
  outcome: string | null;
  captured: Record<string, LiveField>;
  callerPhone: string | null;
  /** The last events the call received: their types and times only. */
  lastEvents: { type: string; at: string }[];
  /** The instance running the call (null: not known). */
  instanceId: string | null;
}

export type LiveCallListener = (call: LiveCall) => void;

const LAST_EVENTS = 12;
const MAX_PATH = 200;

/**
 * The calls live on this instance (and those that ended in the last `keepDoneMs`), kept from the call actors'
 * inspection events. It holds what the console shows a signed-in operator, personal data included; nothing here is
 * logged. Listeners hear each changed call at most once per `flushMs`.
 */
export class LiveCalls {
  private readonly calls = new Map<string, LiveCall>();
  /** Root actor session id -> callSid. */
  private readonly roots = new Map<string, string>();
  private readonly listeners = new Set<LiveCallListener>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: { keepDoneMs?: number; maxDone?: number; flushMs?: number; now?: () => Date; instanceId?: string } = {},
  ) {}

  /** Pass to the call actors' `inspect` option. Never throws. */
  readonly inspect = (event: InspectionEvent): void => {
    try {
      this.observe(event);
    } catch {
      // An inspection event we cannot read must not disturb the call.
    }
  };

  list(): LiveCall[] {
    this.prune();
    return [...this.calls.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  get(callSid: string): LiveCall | undefined {
    return this.calls.get(callSid);
  }

  subscribe(listener: LiveCallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.listeners.clear();
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private observe(event: InspectionEvent): void {
    if (event.type === '@xstate.snapshot') {
      if (event.actorRef.sessionId !== event.rootId) return;
      const snapshot = event.snapshot as { value?: unknown; status?: string; context?: Record<string, unknown> };
      const context = snapshot.context;
      if (context === undefined || typeof context['callSid'] !== 'string' || typeof context['leadId'] !== 'string') return;
      const call = this.callFor(event.rootId, context['callSid'], context['leadId']);
      const state = stateName(snapshot.value);
      if (state !== '' && state !== call.state) {
        call.state = state;
        if (call.path.length < MAX_PATH) call.path.push(state);
      }
      call.callerPhone = typeof context['callerPhone'] === 'string' ? context['callerPhone'] : null;
      call.captured = capturedOf(context['captured']);
      const result = context['result'] as { outcome?: unknown } | null | undefined;
      if (result && typeof result.outcome === 'string') call.outcome = result.outcome;
      if (snapshot.status !== 'active' && call.status === 'active') {
        call.status = 'done';
        call.endedAt = this.now().toISOString();
      }
      this.changed(call.callSid);
    } else if (event.type === '@xstate.event') {
      if (event.actorRef.sessionId !== event.rootId) return;
      const callSid = this.roots.get(event.rootId);
      const call = callSid === undefined ? undefined : this.calls.get(callSid);
      if (call === undefined || typeof event.event.type !== 'string' || event.event.type.startsWith('xstate.')) return;
      call.lastEvents.push({ type: event.event.type, at: this.now().toISOString() });
      if (call.lastEvents.length > LAST_EVENTS) call.lastEvents.shift();
      this.changed(call.callSid);
    }
  }

  private callFor(rootId: string, callSid: string, leadId: string): LiveCall {
    this.roots.set(rootId, callSid);
    let call = this.calls.get(callSid);
    // A new actor for a CallSid seen before (a call rebuilt after a handoff) starts a fresh row.
    if (call === undefined || call.leadId !== leadId) {
      call = {
        callSid,
        leadId,
        startedAt: this.now().toISOString(),
        state: '',
        path: [],
        status: 'active',
        endedAt: null,
        outcome: null,
        captured: {},
        callerPhone: null,
        lastEvents: [],
        instanceId: this.options.instanceId ?? null,
      };
      this.calls.set(callSid, call);
    }
    return call;
  }

  private changed(callSid: string): void {
    this.dirty.add(callSid);
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => this.flush(), this.options.flushMs ?? 50);
    this.flushTimer.unref();
  }

  private flush(): void {
    this.flushTimer = null;
    const changed = [...this.dirty];
    this.dirty.clear();
    // Nobody watching (no console open): nothing to copy.
    if (this.listeners.size === 0) changed.length = 0;
    for (const callSid of changed) {
      const call = this.calls.get(callSid);
      if (call === undefined) continue;
      const view = structuredClone(call);
      for (const listener of this.listeners) {
        try {
          listener(view);
        } catch {
          // One listener's failure does not stop the others.
        }
      }
    }
    this.prune();
  }

  /** Drops ended calls older than keepDoneMs, and the oldest ended ones beyond maxDone. */
  private prune(): void {
    const keepMs = this.options.keepDoneMs ?? 15 * 60_000;
    const now = this.now().getTime();
    const done = [...this.calls.values()].filter((c) => c.status === 'done').sort((a, b) => (a.endedAt ?? '').localeCompare(b.endedAt ?? ''));
    const excess = done.length - (this.options.maxDone ?? 50);
    done.forEach((call, index) => {
      if (index < excess || now - Date.parse(call.endedAt ?? '') > keepMs) this.forget(call.callSid);
    });
  }

  private forget(callSid: string): void {
    this.calls.delete(callSid);
    for (const [root, sid] of this.roots) if (sid === callSid) this.roots.delete(root);
  }
}

/** The live capture (field -> value, when, attempts) as the view shows it; entries it cannot read are left out. */
export function capturedOf(value: unknown): Record<string, LiveField> {
  if (value === null || typeof value !== 'object') return {};
  const out: Record<string, LiveField> = {};
  for (const [field, entry] of Object.entries(value as Record<string, unknown>)) {
    if (entry === null || typeof entry !== 'object') continue;
    const { value: v, at, attempts } = entry as { value?: unknown; at?: unknown; attempts?: unknown };
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    out[field] = { value: v, at: typeof at === 'string' ? at : '', attempts: typeof attempts === 'number' ? attempts : 1 };
  }
  return out;
}
