import type { AnyEventObject, MachineContext } from 'xstate';

/**
 * The inspector sees how a call moves, never who called: transcripts become counts, lead fields become
 * "given"/null, live-captured values are redacted (their time and attempts kept), phone numbers and extraction
 * outputs are removed.
 */
const REDACTED = '[redacted]';

function fieldPresence(fields: unknown): Record<string, 'given' | null> | undefined {
  if (fields === null || typeof fields !== 'object') return undefined;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value === null ? null : 'given']));
}

/** A reading (an extraction result) as which fields are given, complete, missing, invalid: no values, no reasons. */
function readingSummary(reading: unknown): unknown {
  if (reading === null || typeof reading !== 'object') return reading;
  const { lead, complete, missing, errors } = reading as { lead?: unknown; complete?: unknown; missing?: unknown; errors?: unknown };
  return { fields: fieldPresence(lead), complete, missing, errors };
}

/** A live capture (field -> value, when, attempts) without the values: when and how many tries only. */
function capturedSummary(captured: unknown): unknown {
  if (captured === null || typeof captured !== 'object') return captured;
  return Object.fromEntries(Object.entries(captured).map(([field, entry]) => [field, capturedEntry(entry)]));
}

function capturedEntry(entry: unknown): unknown {
  if (entry === null || typeof entry !== 'object') return REDACTED;
  const { at, attempts } = entry as { at?: unknown; attempts?: unknown };
  return { value: REDACTED, at, attempts };
}

/** A call machine context without personal data. */
export function sanitizeCallContext(context: MachineContext): MachineContext {
  const safe: MachineContext = { ...context };
  if ('callerPhone' in safe) safe.callerPhone = safe.callerPhone === null ? null : REDACTED;
  if (Array.isArray(safe.transcript)) safe.transcript = `${safe.transcript.length} turns`;
  if ('reading' in safe) safe.reading = readingSummary(safe.reading);
  if ('initialReading' in safe) safe.initialReading = readingSummary(safe.initialReading);
  if ('captured' in safe) safe.captured = capturedSummary(safe.captured);
  const extraction = safe.extraction as { result?: { complete?: unknown; missing?: unknown; errors?: unknown }; source?: unknown } | null;
  if (extraction) {
    safe.extraction = {
      source: extraction.source,
      complete: extraction.result?.complete,
      missing: extraction.result?.missing,
      errors: extraction.result?.errors,
    };
  }
  return safe;
}

/** An event to or within a call actor without personal data (actor outputs and transcripts removed). */
export function sanitizeCallEvent(event: AnyEventObject): AnyEventObject {
  switch (event.type) {
    case 'TRANSCRIPT_UPDATED':
      return { type: event.type, turns: Array.isArray(event.turns) ? event.turns.length : 0 };
    case 'FIELDS_UPDATED':
      return { type: event.type, reading: readingSummary(event.reading) };
    case 'FIELD_CAPTURED':
      return { type: event.type, field: event.field, captured: capturedEntry(event.captured) };
    default:
      break;
  }
  const safe: AnyEventObject = { ...event };
  // Actor results (transcripts, extracted leads) and promise payloads carry what the caller said.
  if ('output' in safe) safe.output = summarizeOutput(safe.output);
  if ('data' in safe) safe.data = safe.data === undefined ? undefined : REDACTED;
  if ('input' in safe) safe.input = REDACTED;
  return safe;
}

/** Keeps an actor output's outcome (submission results), drops everything else. */
function summarizeOutput(output: unknown): unknown {
  if (output === undefined || output === null) return output;
  if (typeof output === 'object' && 'outcome' in output) {
    const { outcome, leadId, endReason } = output as { outcome?: unknown; leadId?: unknown; endReason?: unknown };
    return { outcome, leadId, endReason };
  }
  return REDACTED;
}

interface InspectionLike {
  type: string;
  sessionId?: string;
  rootId?: string;
  snapshot?: Record<string, unknown>;
  event?: AnyEventObject;
}

/**
 * Last pass over every inspection event before it leaves the process: child actors' inputs and outputs (the
 * transcript handed to extraction, the lead it returned) and event payloads are removed; the root's input keeps
 * only what sanitizeCallContext lets through.
 */
export function redactInspectionEvent<T>(inspectionEvent: T): T {
  const e = { ...(inspectionEvent as InspectionLike) };
  if (e.snapshot !== undefined && e.snapshot !== null && typeof e.snapshot === 'object') {
    const snapshot = { ...e.snapshot };
    const isRoot = e.sessionId !== undefined && e.sessionId === e.rootId;
    if ('input' in snapshot) {
      snapshot.input = isRoot && snapshot.input ? sanitizeCallContext(snapshot.input as MachineContext) : REDACTED;
    }
    if ('output' in snapshot) snapshot.output = summarizeOutput(snapshot.output);
    if ('context' in snapshot && !isRoot && snapshot.context && typeof snapshot.context === 'object') {
      snapshot.context = sanitizeCallContext(snapshot.context as MachineContext);
    }
    e.snapshot = snapshot;
  }
  if (e.event !== undefined && e.event !== null && typeof e.event === 'object' && typeof e.event.type === 'string') {
    e.event = sanitizeCallEvent(e.event);
  }
  return e as T;
}
