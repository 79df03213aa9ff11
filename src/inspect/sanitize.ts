import type { AnyEventObject, MachineContext } from 'xstate';

/**
 * The inspector sees how a call moves, never who called: transcripts become counts, lead fields become
 * "given"/null, phone numbers and extraction outputs are removed.
 */
const REDACTED = '[redacted]';

function fieldPresence(fields: unknown): Record<string, 'given' | null> | undefined {
  if (fields === null || typeof fields !== 'object') return undefined;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value === null ? null : 'given']));
}

/** A call machine context without personal data. */
export function sanitizeCallContext(context: MachineContext): MachineContext {
  const safe: MachineContext = { ...context };
  if ('callerPhone' in safe) safe.callerPhone = safe.callerPhone === null ? null : REDACTED;
  if (Array.isArray(safe.transcript)) safe.transcript = `${safe.transcript.length} turns`;
  if ('fields' in safe) safe.fields = fieldPresence(safe.fields);
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
      return { type: event.type, fields: fieldPresence(event.fields) };
    default:
      break;
  }
  if (event.type.startsWith('xstate.done.actor.')) {
    const output = event.output as { outcome?: unknown; leadId?: unknown } | undefined;
    const safeOutput =
      output && typeof output === 'object' && 'outcome' in output
        ? { outcome: output.outcome, leadId: output.leadId }
        : output === undefined
          ? undefined
          : REDACTED;
    return { ...event, output: safeOutput };
  }
  if (event.type.startsWith('xstate.init') && 'input' in event) {
    return { ...event, input: sanitizeCallContext(event.input as MachineContext) };
  }
  return event;
}
