import type { AnyEventObject, MachineContext } from 'xstate';
import { callMachine, type CallContext, type CallEvent } from '../../machines/callMachine.js';
import type { CallInput, CallOutput, LeadOutcome, SpoolInput } from '../../machines/callTypes.js';
import { LEAD_FIELDS } from '../leads/lead.js';
import { REASON_CLASSES, reasonClassOf } from '../leads/reasonClass.js';
import {
  ACTOR_IDS,
  END_REASONS,
  ERROR_NAMES,
  EVENT_TYPES,
  GOODBYE_VIAS,
  INSPECTION_TYPES,
  OUTCOMES,
  SNAPSHOT_STATUSES,
  SOURCES,
  STATE_KEYS,
  TIMEOUT_KEYS,
} from './callVocabulary.js';

/**
 * The inspector sees how a call moves, never who called. Everything is allow-listed: a context, an actor's input
 * or output, an event keeps only the keys named below, each reduced to a safe form (a count, "given"/null, a field
 * name, an outcome, an id, a time, a reason's class); an unknown key is dropped, an unknown event type or state
 * name is replaced. Free-text reasons (a refusal, an NPA answer, an error message) can quote the caller, so only
 * their class (src/leads/reasonClass.ts) goes out.
 */
export const REDACTED = '[redacted]';
const UNKNOWN = '[unknown]';

type Sanitizer = (value: unknown) => unknown;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object';

/** An id of a known form (CallSid, lead id, xstate session id...): a code-made token, never free text. */
const idOf =
  (pattern: RegExp): Sanitizer =>
  (value) =>
    value === null || value === undefined ? value : typeof value === 'string' && pattern.test(value) ? value : REDACTED;
const callSid = idOf(/^CA\w{1,64}$/);
const streamSid = idOf(/^MZ\w{1,64}$/);
const leadId = idOf(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
/** xstate's session ids ("x:3"); @statelyai/inspect says "anonymous" where it has no root. */
const sessionId = idOf(/^(x:\d{1,12}|anonymous)$/);
/** An instance's id (INSTANCE_ID, or random at start). */
const instanceId = idOf(/^[\w.:@-]{1,128}$/);

/** An ISO time (a capture's `at`). */
const isoTime: Sanitizer = (value) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(value) ? value : undefined);
/** Epoch milliseconds as a string (the inspector's `createdAt`, from Date.now()). */
const epochMs: Sanitizer = (value) => (typeof value === 'string' && /^\d{13}$/.test(value) ? value : undefined);

const number: Sanitizer = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const bool: Sanitizer = (value) => (typeof value === 'boolean' ? value : undefined);
const oneOf =
  (allowed: ReadonlySet<string>): Sanitizer =>
  (value) =>
    value === null || value === undefined ? value : typeof value === 'string' && allowed.has(value) ? value : UNKNOWN;

/** Whether something is there, not what: "given" or null. */
const presence: Sanitizer = (value) => (value === null || value === undefined ? null : 'given');

/** A list (turns of a transcript) as its length; a count already made stays. */
const count: Sanitizer = (value) => (Array.isArray(value) ? value.length : number(value));

const REASON_CLASS_SET: ReadonlySet<string> = new Set(REASON_CLASSES);
/** A free-text reason as its class; a class (a second pass) stays. */
const reasonClass: Sanitizer = (value) => {
  if (value === null || value === undefined) return value;
  if (typeof value !== 'string') return 'other';
  return REASON_CLASS_SET.has(value) ? value : reasonClassOf(value);
};

const LEAD_FIELD_SET: ReadonlySet<string> = new Set(LEAD_FIELDS);
/** A list of lead field names, anything else dropped. */
const fieldList: Sanitizer = (value) => (Array.isArray(value) ? value.filter((f): f is string => typeof f === 'string' && LEAD_FIELD_SET.has(f)) : undefined);
/** The fields set in a record keyed by field (a lead, a reasons map), as a list of names. */
const fieldsGiven = (value: unknown): string[] | undefined =>
  isObject(value) ? LEAD_FIELDS.filter((field) => value[field] !== null && value[field] !== undefined) : undefined;

/** Keeps the allowed keys of an object, each through its sanitizer; undefined results are left out. */
function pick(value: unknown, allowed: Readonly<Record<string, Sanitizer>>): Record<string, unknown> | undefined {
  if (!isObject(value) || Array.isArray(value)) return undefined;
  const safe: Record<string, unknown> = {};
  for (const [key, sanitize] of Object.entries(allowed)) {
    if (!Object.hasOwn(value, key)) continue;
    const result = sanitize(value[key]);
    if (result !== undefined) safe[key] = result;
  }
  return safe;
}

const nullable =
  (sanitize: Sanitizer): Sanitizer =>
  (value) =>
    value === null ? null : sanitize(value);

/** A reading (an extraction result) as which fields are given, complete, missing, invalid, have a reason. */
const reading: Sanitizer = nullable((value) => {
  if (!isObject(value)) return undefined;
  const given = fieldsGiven(value.lead);
  return {
    fields: given === undefined ? undefined : Object.fromEntries(LEAD_FIELDS.map((field) => [field, given.includes(field) ? 'given' : null])),
    complete: bool(value.complete),
    missing: fieldList(value.missing),
    errors: fieldList(value.errors),
    reasons: fieldsGiven(value.reasons),
  };
});

/** One live capture without its value: when, and how many tries. */
const capturedEntry: Sanitizer = (value) => ({
  value: REDACTED,
  ...(isObject(value) ? { at: isoTime(value.at), attempts: number(value.attempts) } : {}),
});
const captured: Sanitizer = (value) =>
  isObject(value) ? Object.fromEntries(LEAD_FIELDS.filter((field) => isObject(value[field])).map((field) => [field, capturedEntry(value[field])])) : undefined;

/** The extraction's verdict: which witness, which fields, never the values or the LLM's error text. */
const extraction: Sanitizer = nullable((value) => {
  if (!isObject(value)) return undefined;
  const result = isObject(value.result) ? value.result : {};
  const disagreements = Array.isArray(value.disagreements) ? value.disagreements.map((d: unknown) => (isObject(d) ? d.field : undefined)) : undefined;
  return {
    source: oneOf(SOURCES)(value.source),
    complete: bool(result.complete),
    missing: fieldList(result.missing),
    errors: fieldList(result.errors),
    llmError: value.llmError === undefined ? undefined : presence(value.llmError),
    disagreements: fieldList(disagreements),
    disputed: isObject(value.decision) ? fieldList(value.decision.disputed) : undefined,
  };
});

const timeouts: Sanitizer = (value) => pick(value, Object.fromEntries(TIMEOUT_KEYS.map((key) => [key, number])));

/** The call's and its actors' outcomes (LeadOutcome, CallOutput). */
const outcome: Sanitizer = nullable((value) => pick(value, OUTCOME_KEYS));

/**
 * Every key of a call's context, of the machine's and its actors' inputs and of their outcomes, with what the
 * inspector may see of it. Exhaustive over those types: a new key fails the compile until it is decided here.
 */
const CALL_KEYS = {
  callSid,
  leadId,
  callerPhone: presence,
  timeouts,
  modelReady: bool,
  streamStarted: bool,
  streamSid,
  reading,
  initialReading: reading,
  offline: reading,
  captured,
  transcript: count,
  endReason: oneOf(END_REASONS),
  failureReason: reasonClass,
  apology: bool,
  extraction,
  storeError: reasonClass,
  result: outcome,
  lostReason: reasonClass,
  handedOffTo: instanceId,
  outcome: oneOf(OUTCOMES),
  reason: reasonClass,
  pending: bool,
  // `offline`: extractLead's input (declared in the machine) carries the offline reading under this name.
} satisfies Record<keyof CallContext | keyof CallInput | keyof SpoolInput | keyof CallOutput | keyof LeadOutcome | 'offline', Sanitizer>;

const OUTCOME_KEYS: Readonly<Record<string, Sanitizer>> = {
  outcome: CALL_KEYS.outcome,
  leadId,
  pending: bool,
  reason: reasonClass,
  endReason: CALL_KEYS.endReason,
};

/** A call machine context (or an actor's input) with only the allow-listed keys, each made safe. */
export function sanitizeCallContext(context: MachineContext): MachineContext {
  return pick(context, CALL_KEYS) ?? {};
}

/** An error as its class name only: its message (and fields such as an HTTP body) can quote the caller. */
function errorSummary(error: unknown): unknown {
  if (error === undefined) return undefined;
  const name = isObject(error) && typeof error.name === 'string' && ERROR_NAMES.has(error.name) ? error.name : 'Error';
  const status = isObject(error) ? number(error.status) : undefined;
  return status === undefined ? { name } : { name, status };
}

/** An actor's output by its shape: a transcript as its length, an extraction as its verdict, an outcome as such. */
function outputSummary(output: unknown): unknown {
  if (output === undefined || output === null) return output;
  if (Array.isArray(output)) return count(output);
  if (isObject(output) && 'source' in output && 'result' in output) return extraction(output);
  if (isObject(output) && 'outcome' in output) return outcome(output);
  return REDACTED;
}

type EventType = CallEvent['type'];
/** What each of the machine's own events keeps besides its type. */
const CALL_EVENT_KEYS: Record<EventType, Readonly<Record<string, Sanitizer>>> = {
  STREAM_STARTED: { streamSid },
  CALLER_HUNG_UP: {},
  TRANSCRIPT_UPDATED: { turns: count },
  FIELDS_UPDATED: { reading },
  FIELD_CAPTURED: { field: oneOf(LEAD_FIELD_SET), captured: capturedEntry },
  GOODBYE: { via: oneOf(GOODBYE_VIAS) },
  GOODBYE_PLAYED: {},
  MODEL_FAILED: { reason: reasonClass },
  HANDED_OFF: { instanceId },
};
const isCallEventType = (type: string): type is EventType => Object.hasOwn(CALL_EVENT_KEYS, type);

/** What xstate's own events keep (the machine's input, actors' results and errors, promise settlements). */
function xstateEventKeys(type: string): Readonly<Record<string, Sanitizer>> {
  if (type === 'xstate.init') return { input: (input) => pick(input, CALL_KEYS) };
  if (type.startsWith('xstate.done.actor.')) return { actorId: oneOf(ACTOR_IDS), output: outputSummary };
  if (type.startsWith('xstate.error.actor.')) return { actorId: oneOf(ACTOR_IDS), error: errorSummary };
  if (type === 'xstate.promise.resolve') return { data: outputSummary };
  if (type === 'xstate.promise.reject') return { data: errorSummary };
  return {};
}

/** An event to or within a call actor with only its allow-listed keys; an unknown type keeps nothing. */
export function sanitizeCallEvent(event: AnyEventObject): AnyEventObject {
  const type = typeof event.type === 'string' ? event.type : '';
  if (isCallEventType(type)) return { type, ...pick(event, CALL_EVENT_KEYS[type]) };
  if (!EVENT_TYPES.has(type)) return { type: UNKNOWN };
  return { type, ...pick(event, xstateEventKeys(type)) };
}

/** A state value (a state name, or nested names) with any name the machine does not have replaced. */
function stateValue(value: unknown): unknown {
  if (typeof value === 'string') return STATE_KEYS.has(value) ? value : UNKNOWN;
  if (!isObject(value)) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [STATE_KEYS.has(key) ? key : UNKNOWN, stateValue(child)]));
}

/** A snapshot's children (actor refs, or their JSON) as their ids. */
function children(value: unknown): unknown {
  if (!isObject(value)) return undefined;
  return Object.fromEntries(Object.keys(value).filter((key) => ACTOR_IDS.has(key)).map((key) => [key, { id: key }]));
}

const SNAPSHOT_KEYS: Readonly<Record<string, Sanitizer>> = {
  status: oneOf(SNAPSHOT_STATUSES),
  value: stateValue,
  context: (context) => (context === undefined ? undefined : pick(context, CALL_KEYS)),
  input: (input) => (input === undefined ? undefined : (pick(input, CALL_KEYS) ?? REDACTED)),
  output: outputSummary,
  error: errorSummary,
  children,
  // The machine has no tags; none of its snapshots' tags can be a value from the call.
  tags: (tags) => (Array.isArray(tags) ? [] : undefined),
};

const DEFINITION_IDS: ReadonlySet<string> = new Set([callMachine.id, ...ACTOR_IDS]);

/**
 * The machine's own definition (its config as JSON, written in code), what the inspector draws the chart from; or a
 * child actor's `{ id }`. Kept only when it is the definition of the call machine or one of its actors.
 */
function definition(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) && typeof parsed.id === 'string' && DEFINITION_IDS.has(parsed.id) ? value : undefined;
  } catch {
    return undefined;
  }
}

const INSPECTION_KEYS: Readonly<Record<string, Sanitizer>> = {
  type: oneOf(INSPECTION_TYPES),
  // An actor's name: an invoke id or the machine's id (xstate falls back on the session id).
  name: (value) => (typeof value === 'string' && DEFINITION_IDS.has(value) ? value : sessionId(value) === REDACTED ? UNKNOWN : value),
  sessionId,
  rootId: sessionId,
  parentId: sessionId,
  sourceId: sessionId,
  // The inspector's own event id: null, or a random number as a string.
  id: idOf(/^0?\.\d{1,24}$/),
  createdAt: epochMs,
  _version: idOf(/^\d{1,4}\.\d{1,4}\.\d{1,4}[\w.-]{0,32}$/),
  definition,
  snapshot: (snapshot) => pick(snapshot, SNAPSHOT_KEYS),
  event: (event) => (isObject(event) ? sanitizeCallEvent(event as AnyEventObject) : undefined),
};

/** What this module returned: the WebSocket inspector passes a deferred event through `serialize` a second time. */
const alreadyRedacted = new WeakSet<object>();

/**
 * The one pass every inspection event goes through before it leaves the process: only the allow-listed keys of
 * the event, its snapshot (context, input, output, error) and the event it carries are kept, each made safe.
 */
export function redactInspectionEvent<T>(inspectionEvent: T): T {
  if (isObject(inspectionEvent) && alreadyRedacted.has(inspectionEvent)) return inspectionEvent;
  const safe = pick(inspectionEvent, INSPECTION_KEYS) ?? {};
  alreadyRedacted.add(safe);
  return safe as T;
}
