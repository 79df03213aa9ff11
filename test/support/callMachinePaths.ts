import { getAdjacencyMap, getShortestPaths, getSimplePaths } from '@xstate/graph';
import type { StatePath } from '@xstate/graph';
import type { AnyStateNode, SnapshotFrom, StateValue } from 'xstate';
import { callMachine, type CallEvent } from '../../machines/callMachine.js';
import type { CallInput, CallTimeouts, EndReason, Extraction, LeadOutcome } from '../../machines/callTypes.js';
import { emptyLead, LEAD_FIELDS, type ExtractionResult, type Turn } from '../../src/leads/lead.js';

/**
 * Paths through the real call machine, generated with @xstate/graph, for model-based tests. The same paths are
 * replayed on an in-memory actor (test/machines/callMachine.paths.test.ts) and through the real server.
 *
 * Traversal does not run actors, so the events offered in each state include what the invoked actors and the
 * named delays would send: `xstate.done.actor.<id>`, `xstate.error.actor.<id>`, `xstate.after.<DELAY>.<nodeId>`.
 * Both lists are read from the machine's own state nodes, so a new invoke or delay shows up here by itself.
 */

export type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** The input every generated path starts from. */
const EMPTY_READING: ExtractionResult = { lead: emptyLead(), complete: false, errors: [], missing: [...LEAD_FIELDS], reasons: {} };
export const PATH_INPUT: CallInput = { callSid: 'CA-path', leadId: 'lead-path', callerPhone: '+15555550100', initialReading: EMPTY_READING };

/** Outputs the fake actors produce; replays resolve their deferreds with exactly these. */
export const SAMPLE_TRANSCRIPT: Turn[] = [
  { role: 'assistant', text: 'Thanks for calling Power Sport Buyers.' },
  { role: 'user', text: 'I want to sell my quad.' },
];
export const SAMPLE_PARTIAL_TRANSCRIPT: Turn[] = [{ role: 'assistant', text: 'Thanks for calling Power Sport Buyers.' }];
/** A live reading of the fields during the call (FIELDS_UPDATED). */
export const SAMPLE_PARTIAL_READING: ExtractionResult = {
  lead: { ...emptyLead(), full_name: 'Pat Example', zip_code: '30301' },
  complete: false,
  errors: [],
  missing: ['phone', 'vehicle_year', 'vehicle_make', 'vehicle_model'],
  reasons: {},
};
export const SAMPLE_EXTRACTION: Extraction = {
  result: {
    lead: {
      full_name: 'Pat Example',
      zip_code: '30301',
      phone: '+15555550100',
      vehicle_year: 2019,
      vehicle_make: 'Honda',
      vehicle_model: 'TRX',
    },
    complete: true,
    errors: [],
    missing: [],
    reasons: {},
  },
  source: 'llm',
  offline: SAMPLE_PARTIAL_READING,
  disagreements: [],
  decision: null,
};
/** A field the agent recorded live (FIELD_CAPTURED). */
export const SAMPLE_CAPTURE = { value: '30301', at: '2026-12-01T00:00:00.000Z', attempts: 1 };
export const NPA_REJECTION = 'npa rejected the lead';

/** An event a path step carries: an external call event, or what an actor or a delay would send. */
export type ActorDoneEvent = { type: `xstate.done.actor.${string}`; output: unknown; actorId: string };
export type ActorErrorEvent = { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };
export type DelayEvent = { type: `xstate.after.${string}` };
export type PathEvent = CallEvent | ActorDoneEvent | ActorErrorEvent | DelayEvent;

/** What a replay has to do to produce a step's event. */
export type EventSource =
  | { kind: 'external'; event: CallEvent }
  | { kind: 'actor-done'; actorId: string; output: unknown }
  | { kind: 'actor-error'; actorId: string; error: unknown }
  | { kind: 'delay'; delay: string; stateNodeId: string };

export interface PathStep {
  event: PathEvent;
  /** The machine's state value right after the event. */
  expectedStateValue: StateValue;
  /** The same, dotted (`streaming.closing`). */
  expectedState: string;
  /** The state the event arrived in, dotted. */
  fromState: string;
}

export type FinalState = 'saved-success' | 'saved-failure' | 'saved-review' | 'handed-off';

export interface CallPath {
  /** Readable: `connecting -[STREAM_STARTED]-> connecting -[done:connectModel]-> streaming.conversing ...`. */
  description: string;
  steps: PathStep[];
  final: FinalState;
  expectedOutcome: 'succeeded' | 'failed' | 'review' | 'lost' | 'handed-off';
  expectedEndReason: EndReason | null;
  /** Whether the machine's own `failureReason` is set at the end. */
  expectsFailureReason: boolean;
}

export const REFUSAL = 'missing: phone';
/** Submission as the fakes answer it; a lead with a failure reason is only ever refused (acceptLead's contract). */
const succeeded = (leadId: string): LeadOutcome => ({ outcome: 'succeeded', leadId });
const refused = (leadId: string): LeadOutcome => ({ outcome: 'failed', leadId, reason: REFUSAL });
const inOutbox = (leadId: string): LeadOutcome => ({ outcome: 'failed', leadId, pending: true, reason: 'submission pending: not sent yet; the outbox will retry it' });
const npaFailed = (leadId: string): LeadOutcome => ({ outcome: 'failed', leadId, reason: NPA_REJECTION });
const heldForReview = (leadId: string): LeadOutcome => ({ outcome: 'review', leadId, reason: 'held for review: the witnesses disagree on phone' });
const spooled = (leadId: string): LeadOutcome => ({ outcome: 'failed', leadId, pending: true, reason: 'submission pending: database unavailable; lead kept in the local spool' });

/** Done outputs per invoked actor id; a machine actor missing here is a test-support gap and throws. */
function doneOutputs(actorId: string, snapshot: CallSnapshot): unknown[] {
  const { leadId, failureReason } = snapshot.context;
  switch (actorId) {
    case 'connectModel':
      return [undefined];
    case 'awaitTranscript':
      return [SAMPLE_TRANSCRIPT];
    case 'extractLead':
      return [SAMPLE_EXTRACTION];
    case 'acceptLead':
      // (A lead id that is already delivered answers succeeded: a repeated accept no call makes; see callMachine.test.)
      return failureReason === null ? [inOutbox(leadId), refused(leadId), heldForReview(leadId)] : [refused(leadId)];
    case 'deliverLead':
      return [succeeded(leadId), npaFailed(leadId)];
    case 'spoolLead':
      return [spooled(leadId)];
    default:
      throw new Error(`callMachinePaths: no done output known for invoked actor ${actorId}`);
  }
}

/** Invoked actors that never finish by themselves: `conversation` only sends events back (it can still fail). */
const NON_TERMINATING_ACTORS = new Set(['conversation']);

/** Dotted path of a state value: `{ submitting: 'sending' }` -> `submitting.sending`. */
export function stateKey(value: StateValue): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  const [key, child] = entries[0] ?? ['', undefined];
  if (entries.length !== 1) throw new Error('callMachinePaths: parallel states are not expected');
  return child === undefined ? key : `${key}.${stateKey(child)}`;
}

/** The active state nodes of a (non-parallel) state value, outermost first. */
function activeNodes(value: StateValue): AnyStateNode[] {
  const nodes: AnyStateNode[] = [];
  let node: AnyStateNode = callMachine.root;
  for (const part of stateKey(value).split('.')) {
    const next: AnyStateNode | undefined = node.states[part];
    if (!next) throw new Error(`callMachinePaths: unknown state ${part}`);
    nodes.push(next);
    node = next;
  }
  return nodes;
}

function doneEvent(actorId: string, output: unknown): ActorDoneEvent {
  return { type: `xstate.done.actor.${actorId}`, output, actorId };
}

function errorEvent(actorId: string): ActorErrorEvent {
  return { type: `xstate.error.actor.${actorId}`, error: new Error(`${actorId} failed`), actorId };
}

/** The events that can arrive in this snapshot: external ones, actors settling, delays firing. */
export function eventsFor(snapshot: CallSnapshot): PathEvent[] {
  if (snapshot.status !== 'active') return [];
  const { context } = snapshot;
  const key = stateKey(snapshot.value);
  const events: PathEvent[] = [];

  // External events, as the relay and the media socket can really deliver them.
  if (key === 'connecting' && !context.streamStarted) events.push({ type: 'STREAM_STARTED', streamSid: 'MZ-path' });
  // Another instance claimed the stream of a call still waiting for it (no sticky routing).
  if (key === 'connecting' && !context.streamStarted) events.push({ type: 'HANDED_OFF', instanceId: 'instance-other' });
  if (key === 'streaming.conversing') events.push({ type: 'GOODBYE', via: 'tool' });
  if (key === 'streaming.closing') events.push({ type: 'GOODBYE_PLAYED' });
  // The model's socket can die while the call is live, and before the stream started (a pre-warmed session).
  if (key === 'connecting' || key.startsWith('streaming.')) events.push({ type: 'MODEL_FAILED', reason: 'socket closed' });
  if (key.startsWith('streaming.') || key === 'awaiting-transcript') {
    events.push({ type: 'TRANSCRIPT_UPDATED', turns: SAMPLE_PARTIAL_TRANSCRIPT });
    events.push({ type: 'FIELDS_UPDATED', reading: SAMPLE_PARTIAL_READING });
  }
  if (key.startsWith('streaming.')) events.push({ type: 'FIELD_CAPTURED', field: 'zip_code', captured: SAMPLE_CAPTURE });
  // The media socket can close in any state; after the machine hung up itself it always does.
  events.push({ type: 'CALLER_HUNG_UP' });

  for (const node of activeNodes(snapshot.value)) {
    for (const invoke of node.invoke) {
      // connectModel settles once; the machine remembers it only through modelReady.
      if (invoke.id === 'connectModel' && context.modelReady) continue;
      if (!NON_TERMINATING_ACTORS.has(invoke.id)) {
        for (const output of doneOutputs(invoke.id, snapshot)) events.push(doneEvent(invoke.id, output));
      }
      if (invoke.onError) events.push(errorEvent(invoke.id));
    }
    for (const delayed of node.after) {
      const event: DelayEvent = { type: delayed.eventType as `xstate.after.${string}` };
      // A delay whose guard fails fires without effect: not a step worth a path.
      if (snapshot.can(event as never)) events.push(event);
    }
  }
  return events;
}

/** What a path step asks a replay to do. */
export function eventSource(event: PathEvent): EventSource {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(event.type);
  if (done?.[1]) return { kind: 'actor-done', actorId: done[1], output: (event as ActorDoneEvent).output };
  const error = /^xstate\.error\.actor\.(.+)$/.exec(event.type);
  if (error?.[1]) return { kind: 'actor-error', actorId: error[1], error: (event as ActorErrorEvent).error };
  const after = /^xstate\.after\.([^.]+)\.(.+)$/.exec(event.type);
  if (after?.[1] && after[2]) return { kind: 'delay', delay: after[1], stateNodeId: after[2] };
  return { kind: 'external', event: event as CallEvent };
}

/** Short readable label of an event for descriptions and coverage. */
export function eventLabel(event: PathEvent): string {
  const source = eventSource(event);
  switch (source.kind) {
    case 'actor-done': {
      const output = source.output as { outcome?: string; pending?: boolean } | undefined;
      const outcome = output?.pending === true ? 'pending' : output?.outcome;
      return outcome ? `done:${source.actorId}(${outcome})` : `done:${source.actorId}`;
    }
    case 'actor-error':
      return `error:${source.actorId}`;
    case 'delay':
      return `after:${source.delay}`;
    case 'external':
      return source.event.type;
  }
}

/** What distinguishes two snapshots for the lifecycle; the transcript's content and timings do not. */
function serializeCore(snapshot: CallSnapshot): string {
  const { context } = snapshot;
  const outcome = context.lostReason ? 'lost' : (context.result?.outcome ?? null);
  return JSON.stringify({
    value: snapshot.value,
    status: snapshot.status,
    modelReady: context.modelReady,
    streamStarted: context.streamStarted,
    endReason: context.endReason,
    failure: context.failureReason !== null,
    extraction: context.extraction !== null,
    outcome,
  });
}

const isDone = (snapshot: CallSnapshot) => snapshot.status === 'done';

type GraphPath = StatePath<CallSnapshot, PathEvent>;

// @xstate/graph types events as the machine's own; ours also carry the actor and delay events.
type GraphOptions = Parameters<typeof getShortestPaths<typeof callMachine>>[1];
const graphOptions = {
  input: PATH_INPUT,
  events: eventsFor,
  serializeState: serializeCore,
  stopWhen: isDone,
} as unknown as GraphOptions;

/** @xstate/graph prefixes every path with an `xstate.init` step holding the initial snapshot. */
function stepsOf(path: GraphPath): Steps {
  const out: Steps = [];
  for (let i = 1; i < path.steps.length; i++) {
    const step = path.steps[i];
    const prev = path.steps[i - 1];
    if (step && prev) out.push({ event: step.event, state: step.state, from: prev.state });
  }
  return out;
}

type Steps = Array<{ event: PathEvent; state: CallSnapshot; from: CallSnapshot }>;

/** Shortest continuation from each snapshot to a final state, memoized by serialized snapshot. */
function completions(): (from: CallSnapshot) => Steps {
  const memo = new Map<string, Steps>();
  return (from) => {
    const key = serializeCore(from);
    const known = memo.get(key);
    if (known) return known;
    const options = { ...graphOptions, fromState: from, toState: isDone } as unknown as GraphOptions;
    const candidates = getShortestPaths(callMachine, options) as unknown as GraphPath[];
    const best = candidates.sort((x, y) => x.weight - y.weight)[0];
    if (!best) throw new Error(`callMachinePaths: no way to a final state from ${key}`);
    const steps = stepsOf(best);
    memo.set(key, steps);
    return steps;
  };
}

function toCallPath(events: Steps): CallPath {
  const last = events[events.length - 1];
  if (!last || last.state.status !== 'done') throw new Error('callMachinePaths: a path must end in a final state');
  const final = stateKey(last.state.value) as FinalState;
  const { context } = last.state;
  const steps: PathStep[] = events.map(({ event, state, from }) => ({
    event,
    expectedStateValue: state.value,
    expectedState: stateKey(state.value),
    fromState: stateKey(from.value),
  }));
  const description = [
    stateKey(events[0]?.from.value ?? 'connecting'),
    ...steps.map((s) => `-[${eventLabel(s.event)}]-> ${s.expectedState}`),
  ].join(' ');
  return {
    description,
    steps,
    final,
    expectedOutcome: context.handedOffTo !== null ? 'handed-off' : context.lostReason ? 'lost' : (context.result?.outcome ?? 'failed'),
    expectedEndReason: context.endReason,
    expectsFailureReason: context.failureReason !== null,
  };
}

export interface PathOptions {
  /** Add every simple path to a final state (about 1,300) to the transition cover; default true. */
  simple?: boolean;
}

/**
 * Lifecycle paths to replay, de-duplicated by event sequence. The transition cover: for every snapshot (as
 * serialized) and every event that can arrive in it, the shortest path there, that event, and the shortest way on
 * to a final state, so every (state, event) pair is replayed, ignored events included. With `simple`, also every
 * simple path (no snapshot twice) to a final state.
 */
export function callLifecyclePaths(options: PathOptions = {}): CallPath[] {
  const byKey = new Map<string, CallPath>();
  const add = (steps: Steps) => {
    const key = steps.map((s) => JSON.stringify(s.event)).join('>');
    if (!byKey.has(key)) byKey.set(key, toCallPath(steps));
  };

  const complete = completions();
  const adjacency = getAdjacencyMap(callMachine, graphOptions as never) as unknown as Record<
    string,
    { state: CallSnapshot; transitions: Record<string, { event: PathEvent; state: CallSnapshot }> }
  >;
  const shortest = getShortestPaths(callMachine, graphOptions) as unknown as GraphPath[];
  for (const path of shortest) {
    const vertex = adjacency[serializeCore(path.state)];
    if (!vertex) throw new Error('callMachinePaths: shortest path to a snapshot the adjacency map lacks');
    const head = stepsOf(path);
    if (path.state.status === 'done') add(head);
    for (const { event, state } of Object.values(vertex.transitions)) {
      const edge = { event, state, from: path.state };
      add(state.status === 'done' ? [...head, edge] : [...head, edge, ...complete(state)]);
    }
  }

  if (options.simple ?? true) {
    const simpleOptions = { ...graphOptions, toState: isDone } as unknown as GraphOptions;
    for (const path of getSimplePaths(callMachine, simpleOptions) as unknown as GraphPath[]) add(stepsOf(path));
  }
  return [...byKey.values()];
}

/** `state|event` pairs replayed by the paths (event as `eventLabel` gives it). */
export function coverage(paths: readonly CallPath[]): Set<string> {
  const pairs = new Set<string>();
  for (const path of paths) for (const step of path.steps) pairs.add(`${step.fromState}|${eventLabel(step.event)}`);
  return pairs;
}

/** Dotted names of every state node of the machine (compound ones and their substates). */
export function allStates(): string[] {
  const out: string[] = [];
  const walk = (node: AnyStateNode, prefix: string) => {
    for (const [key, child] of Object.entries(node.states)) {
      const name = prefix ? `${prefix}.${key}` : key;
      out.push(name);
      walk(child, name);
    }
  };
  walk(callMachine.root, '');
  return out;
}

/** Dotted names of the states visited by the paths, compound parents included. */
export function visitedStates(paths: readonly CallPath[]): Set<string> {
  const visited = new Set<string>(['connecting']);
  for (const path of paths) {
    for (const step of path.steps) {
      const parts = step.expectedState.split('.');
      for (let i = 1; i <= parts.length; i++) visited.add(parts.slice(0, i).join('.'));
    }
  }
  return visited;
}

/** Every failure the machine models: each handled actor error (`error:<id>`) and each delay (`after:<DELAY>`). */
export function modelledFailures(): string[] {
  const out: string[] = [];
  const walk = (node: AnyStateNode) => {
    for (const invoke of node.invoke) if (invoke.onError) out.push(`error:${invoke.id}`);
    for (const delayed of node.after) out.push(`after:${String(delayed.delay)}`);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(callMachine.root);
  return [...new Set(out)];
}

/** Atomic (leaf) non-final states, dotted: where a caller's hang-up can arrive. */
export function hangUpStates(): string[] {
  const out: string[] = [];
  const walk = (node: AnyStateNode, prefix: string) => {
    for (const [key, child] of Object.entries(node.states)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (Object.keys(child.states).length > 0) walk(child, name);
      else if (child.type !== 'final') out.push(name);
    }
  };
  walk(callMachine.root, '');
  return out;
}

/** Every `state|event` pair the traversal can take (what a complete transition cover replays). */
export function reachablePairs(): Set<string> {
  const adjacency = getAdjacencyMap(callMachine, graphOptions as never) as unknown as Record<
    string,
    { state: CallSnapshot; transitions: Record<string, { event: PathEvent }> }
  >;
  const pairs = new Set<string>();
  for (const { state, transitions } of Object.values(adjacency)) {
    for (const { event } of Object.values(transitions)) pairs.add(`${stateKey(state.value)}|${eventLabel(event)}`);
  }
  return pairs;
}

/** The dotted state that invokes each actor id (`acceptLead` -> `submitting.accepting`). */
export function invokingStates(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (node: AnyStateNode, prefix: string) => {
    for (const [key, child] of Object.entries(node.states)) {
      const name = prefix ? `${prefix}.${key}` : key;
      for (const invoke of child.invoke) out.set(invoke.id, name);
      walk(child, name);
    }
  };
  walk(callMachine.root, '');
  return out;
}

/** Which timeout of `CallTimeouts` each named delay of the machine reads. */
export const DELAY_TIMEOUTS: Readonly<Record<string, keyof CallTimeouts>> = {
  MODEL_CONNECT_TIMEOUT: 'modelConnectMs',
  STREAM_START_TIMEOUT: 'streamStartMs',
  MAX_CALL: 'maxCallMs',
  GOODBYE_PLAYBACK_TIMEOUT: 'goodbyePlaybackMs',
  TRANSCRIPT_WAIT: 'transcriptWaitMs',
  EXTRACTION_TIMEOUT: 'extractionMs',
  DB_WRITE_TIMEOUT: 'dbWriteMs',
  SUBMISSION_TIMEOUT: 'submissionMs',
};

/** Timeouts `timeoutsForPath` gives by default: fired delays short, the others out of reach. */
export const PATH_SHORT_MS = 1_000;
export const PATH_LONG_MS = 24 * 60 * 60_000;

/**
 * Timeouts under which a path's delays fire in its order: the delays the path fires are short, every other one
 * long, so letting `shortMs` pass in a state fires exactly the delay the path expects there. A real-time replay
 * (through the server) can pass a smaller `shortMs`.
 */
export function timeoutsForPath(
  path: CallPath,
  { shortMs = PATH_SHORT_MS, longMs = PATH_LONG_MS }: { shortMs?: number; longMs?: number } = {},
): CallTimeouts {
  const fired = new Set(
    path.steps.flatMap((s) => {
      const source = eventSource(s.event);
      return source.kind === 'delay' ? [source.delay] : [];
    }),
  );
  const timeouts = {} as CallTimeouts;
  for (const [delay, key] of Object.entries(DELAY_TIMEOUTS)) timeouts[key] = fired.has(delay) ? shortMs : longMs;
  for (const delay of fired) {
    if (!(delay in DELAY_TIMEOUTS)) throw new Error(`callMachinePaths: no timeout known for delay ${delay}`);
  }
  return timeouts;
}
