import type { AnyStateNode } from 'xstate';
import { callMachine, type CallEvent } from '../../machines/callMachine.js';
import type { CallOutput, CallTimeouts, EndReason, Extraction, LeadOutcome } from '../../machines/callTypes.js';

/**
 * The enumerated strings the inspector feed may carry, most of them read from the call machine itself: its state
 * names, the actors it invokes, the events it handles. A string that is none of these (and not under a key the
 * sanitizer knows to be an id or a time) does not leave the process. The records below are exhaustive over their
 * types, so a new end reason or outcome fails the compile until it is added here.
 */

const END_REASON_SET: Record<EndReason, true> = {
  goodbye: true,
  'caller-hangup': true,
  'stream-never-started': true,
  'model-failure': true,
  'max-duration': true,
};
const OUTCOME_SET: Record<CallOutput['outcome'] | LeadOutcome['outcome'], true> = {
  succeeded: true,
  failed: true,
  review: true,
  lost: true,
  'handed-off': true,
};
const SOURCE_SET: Record<Extraction['source'], true> = { llm: true, offline: true };
const GOODBYE_VIA_SET: Record<Extract<CallEvent, { type: 'GOODBYE' }>['via'], true> = { tool: true, phrase: true };
const TIMEOUT_SET: Record<keyof CallTimeouts, true> = {
  modelConnectMs: true,
  streamStartMs: true,
  maxCallMs: true,
  goodbyePlaybackMs: true,
  transcriptWaitMs: true,
  extractionMs: true,
  dbWriteMs: true,
  submissionMs: true,
};

export const END_REASONS: ReadonlySet<string> = new Set(Object.keys(END_REASON_SET));
export const OUTCOMES: ReadonlySet<string> = new Set(Object.keys(OUTCOME_SET));
export const SOURCES: ReadonlySet<string> = new Set(Object.keys(SOURCE_SET));
export const GOODBYE_VIAS: ReadonlySet<string> = new Set(Object.keys(GOODBYE_VIA_SET));
export const TIMEOUT_KEYS: readonly string[] = Object.keys(TIMEOUT_SET);

/** Actor snapshot statuses (xstate). */
export const SNAPSHOT_STATUSES: ReadonlySet<string> = new Set(['active', 'done', 'error', 'stopped']);

/** Inspection event types the feed forwards (@statelyai/inspect sends these three). */
export const INSPECTION_TYPES: ReadonlySet<string> = new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);

/** Error classes a rejected actor may carry, shown by name only (their messages can quote the caller). */
export const ERROR_NAMES: ReadonlySet<string> = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'AbortError',
  'TimeoutError',
  'AppError',
  'BadInputError',
  'NotFoundError',
  'NpaApiError',
  'NpaSubmitError',
  'NpaCircuitOpenError',
  'ExtractionError',
  'ModelConnectionError',
]);

function nodesOf(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => nodesOf(child))];
}

const NODES = nodesOf(callMachine.root);

/** State names (each level of a state value is one of these). */
export const STATE_KEYS: ReadonlySet<string> = new Set(NODES.map((node) => node.key));

/** The ids of the actors the machine invokes (the keys of a snapshot's `children`). */
export const ACTOR_IDS: ReadonlySet<string> = new Set(NODES.flatMap((node) => node.invoke.map((invoke) => invoke.id)));

/**
 * Event types: the ones the machine handles (its own events, timers, actor results), xstate's built-ins, and the
 * empty type @statelyai/inspect puts on a snapshot that no event caused.
 */
export const EVENT_TYPES: ReadonlySet<string> = new Set([
  ...callMachine.root.events.map(String),
  'xstate.init',
  'xstate.stop',
  'xstate.promise.resolve',
  'xstate.promise.reject',
  '',
]);
