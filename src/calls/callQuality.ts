import type { CapturedFields } from '../leads/capturedFields.js';
import { LEAD_FIELDS, type LeadField, type Turn } from '../leads/lead.js';
import type { CallQuality } from '../db/entities/sessionState.js';
import type { LeadDecision } from '../extraction/fieldVote.js';
import { readAgentTurn, type Ask, type ReadBack } from '../extraction/offline/agentTurn.js';
import { isAffirmation } from '../extraction/offline/callerAnswers.js';
import type { WaitKind } from './callWaits.js';
import type { DeadAir } from './deadAirMeter.js';

export type { CallQuality } from '../db/entities/sessionState.js';

/** What a call holds when it ends, as callQuality reads it. */
export interface CallQualityInput {
  transcript: readonly Turn[];
  /** The stream's start to the conversation's end, ms; null when the stream never started. */
  durationMs: number | null;
  bargeIns: number;
  deadAir: DeadAir & { thresholdMs: number };
  /** The waits the relay observed, in the order it observed them (src/calls/callWaits.ts). */
  waits: Partial<Record<WaitKind, readonly number[]>>;
  /** The conversation's end to now (the final phase); null when the conversation never ended. */
  leadDeliveryMs: number | null;
  captured: CapturedFields;
  decision: LeadDecision | null;
  endReason: string | null;
  outcome: CallQuality['outcome'];
  /** The call's date, for reading years in the agent's turns. */
  now: Date;
}

type FieldQuality = NonNullable<CallQuality['fields'][LeadField]>;

const VEHICLE: readonly LeadField[] = ['vehicle_year', 'vehicle_make', 'vehicle_model'];

/** The lead fields an agent question asks for. */
function fieldsOfAsk(ask: Ask | null): readonly LeadField[] {
  if (ask === null) return [];
  switch (ask.kind) {
    case 'name':
      return ['full_name'];
    case 'zip':
      return ['zip_code'];
    case 'phone':
      return ['phone'];
    case 'vehicle':
      return ask.focus === 'all' ? VEHICLE : [`vehicle_${ask.focus}`];
  }
}

/** The lead fields a read-back states (a name said in passing only when nothing else is). */
function fieldsOfReadBack(readBack: ReadBack): LeadField[] {
  const out: LeadField[] = [];
  if (readBack.zip !== undefined) out.push('zip_code');
  if (readBack.phone !== undefined) out.push('phone');
  if (readBack.vehicle !== undefined) {
    const { year, make, model } = readBack.vehicle;
    if (year !== null) out.push('vehicle_year');
    if (make !== null) out.push('vehicle_make');
    if (model !== null) out.push('vehicle_model');
  }
  if (out.length === 0 && readBack.name !== undefined) out.push('full_name');
  return out;
}

/**
 * The questions per field and the corrected read-backs, from the transcript: a question the agent asks (not a
 * read-back it wants confirmed) is an attempt at its field; a read-back whose answer is not a plain yes was corrected.
 * A read-back that states no value ("John Carter, is that right?") is about the field last asked for.
 */
function readTranscript(transcript: readonly Turn[], now: Date): { asked: Map<LeadField, number>; corrected: Set<LeadField> } {
  const asked = new Map<LeadField, number>();
  const corrected = new Set<LeadField>();
  let lastAsked: readonly LeadField[] = [];
  transcript.forEach((turn, index) => {
    if (turn.role !== 'assistant') return;
    const read = readAgentTurn(turn.text, now);
    if (!read.confirming) {
      const fields = fieldsOfAsk(read.ask);
      for (const field of fields) asked.set(field, (asked.get(field) ?? 0) + 1);
      if (fields.length > 0) lastAsked = fields;
      return;
    }
    const answer = transcript[index + 1];
    if (answer?.role !== 'user' || isAffirmation(answer.text)) return;
    const stated = fieldsOfReadBack(read.readBack);
    const fields = stated.length > 0 ? stated : fieldsOfAsk(read.ask).length > 0 ? fieldsOfAsk(read.ask) : lastAsked;
    for (const field of fields) corrected.add(field);
  });
  return { asked, corrected };
}

/** One call's quality record, from what the call already has at its end (no bookkeeping of its own). */
export function callQuality(input: CallQualityInput): CallQuality {
  const { asked, corrected } = readTranscript(input.transcript, input.now);
  const fields: CallQuality['fields'] = {};
  for (const field of LEAD_FIELDS) {
    const captured = input.captured[field];
    const quality: FieldQuality = {
      attempts: captured?.attempts ?? asked.get(field) ?? 0,
      attemptsFrom: captured !== undefined ? 'capture' : 'asked',
      readBackCorrected: corrected.has(field),
      agreement: input.decision?.fields[field]?.ruling ?? null,
    };
    fields[field] = quality;
  }
  const waits = input.waits;
  return {
    durationMs: input.durationMs === null ? null : roundMs(input.durationMs),
    turns: {
      agent: input.transcript.filter((t) => t.role === 'assistant').length,
      caller: input.transcript.filter((t) => t.role === 'user').length,
    },
    bargeIns: input.bargeIns,
    deadAir: { count: input.deadAir.count, longestMs: roundMs(input.deadAir.longestMs), thresholdMs: input.deadAir.thresholdMs },
    waits: {
      greetingMs: roundOrNull(waits.greeting?.[0]),
      responseMs: (waits.response ?? []).map(roundMs),
      responseRelayMs: (waits.response_relay ?? []).map(roundMs),
      bargeInMs: (waits.barge_in ?? []).map(roundMs),
      bargeInHeardMs: (waits.barge_in_heard ?? []).map(roundMs),
      goodbyeMs: roundOrNull(waits.goodbye?.at(-1)),
      leadDeliveryMs: roundOrNull(input.leadDeliveryMs ?? undefined),
    },
    fields,
    endReason: input.endReason,
    outcome: input.outcome,
  };
}

/** Waits to a tenth of a ms (a barge-in's clear takes well under one). */
const roundMs = (ms: number): number => Math.round(ms * 10) / 10;
const roundOrNull = (ms: number | undefined): number | null => (ms === undefined ? null : roundMs(ms));
