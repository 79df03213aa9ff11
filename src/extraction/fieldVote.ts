import type { CapturedFields } from '../leads/capturedFields.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead, type LeadField } from '../leads/lead.js';
import { compactKey } from '../leads/lexicon/editDistance.js';

/**
 * How a lead is decided from its independent witnesses: the agent's live capture during the call
 * (`record_lead_field`), the LLM's reading of the transcript, and the offline reading. Each field is ruled on by
 * itself; a field they cannot agree on sends the lead to a person (the review queue).
 */

/** The witnesses, in the order their value is preferred when several agree (the live capture was read back). */
export const WITNESSES = ['live', 'llm', 'offline'] as const;
export type WitnessName = (typeof WITNESSES)[number];

export type FieldValue = Lead[LeadField];

/**
 * - `agreed`: every witness with a value gives the same one (two or more of them);
 * - `single`: only one witness has a value, and no one contradicts it;
 * - `majority`: the witnesses disagreed, and at least two independent ones give the winning value (after the LLM
 *   was asked again about the field);
 * - `disputed`: no value has two witnesses: a person decides. The lead carries the preferred witness's value;
 * - `none`: no witness has a value.
 */
export type FieldRuling = 'agreed' | 'single' | 'majority' | 'disputed' | 'none';

export interface FieldVerdict {
  value: FieldValue;
  ruling: FieldRuling;
  /** Each witness that testified, with its value for this field (null: it has none). */
  witnesses: Partial<Record<WitnessName, FieldValue>>;
  /** The witnesses whose value is the decided one. */
  for: WitnessName[];
  /** The LLM's first answer, when it was asked again about this field and answered otherwise. */
  llmFirst?: FieldValue;
  /** Readable: which witnesses gave which value, which won and why. No values in it (they are in the lead). */
  why: string;
}

/** Each field's verdict and the lead they make. */
export interface LeadDecision {
  lead: Lead;
  fields: Record<LeadField, FieldVerdict>;
  /** Fields no two witnesses agree on: the lead waits for a person. */
  disputed: LeadField[];
  /** Whether the LLM was asked again about fields the witnesses disagreed on. */
  reasked: boolean;
}

/** A field the witnesses disagree on, with each distinct value and who gave it: what the LLM is asked again. */
export interface Dispute {
  field: LeadField;
  candidates: Array<{ value: NonNullable<FieldValue>; witnesses: WitnessName[] }>;
}

/** Asks the LLM again about the disputed fields only; resolves with its new values (null: none), or rejects. */
export type Reask = (disputes: readonly Dispute[]) => Promise<Partial<Lead>>;

export interface Witnesses {
  /** What the agent recorded during the call; absent when the channel has no live capture. */
  live?: CapturedFields;
  /** The LLM's reading (unsupported values already dropped, not filled in); absent when no LLM read the lead. */
  llm?: Lead;
  offline: Lead;
}

/** Values compare by their letters and digits, case aside ("RZR XP 1000" is "Rzr XP1000"). */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return compactKey(a) === compactKey(b);
}

function testimonyOf(witnesses: Witnesses): Array<[WitnessName, Partial<Lead>]> {
  const out: Array<[WitnessName, Partial<Lead>]> = [];
  if (witnesses.live !== undefined) {
    const live: Partial<Lead> = {};
    for (const field of LEAD_FIELDS) (live as Record<LeadField, FieldValue>)[field] = (witnesses.live[field]?.value ?? null) as FieldValue;
    out.push(['live', live]);
  }
  if (witnesses.llm !== undefined) out.push(['llm', witnesses.llm]);
  out.push(['offline', witnesses.offline]);
  return out;
}

/** The distinct values given for one field, each with its witnesses, most witnesses first (then preference). */
function candidatesOf(given: Partial<Record<WitnessName, FieldValue>>): Dispute['candidates'] {
  const candidates: Dispute['candidates'] = [];
  for (const name of WITNESSES) {
    const value = given[name];
    if (value === undefined || value === null) continue;
    const same = candidates.find((c) => sameValue(c.value, value));
    if (same) same.witnesses.push(name);
    else candidates.push({ value, witnesses: [name] });
  }
  // Stable: equal counts keep the preference order of their first witness.
  return candidates.sort((a, b) => b.witnesses.length - a.witnesses.length);
}

const list = (names: readonly string[]): string => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

function rule(given: Partial<Record<WitnessName, FieldValue>>, afterReask: boolean): FieldVerdict {
  const witnesses = { ...given };
  const candidates = candidatesOf(given);
  const testified = Object.keys(given) as WitnessName[];
  const [top, second] = candidates;
  if (top === undefined) return { value: null, ruling: 'none', witnesses, for: [], why: `no value from ${list(testified)}` };
  if (second === undefined && afterReask && top.witnesses.length >= 2) {
    return { value: top.value, ruling: 'majority', witnesses, for: top.witnesses, why: `${list(top.witnesses)} agree once the LLM was asked again` };
  }
  if (second === undefined) {
    const ruling = top.witnesses.length === 1 ? 'single' : 'agreed';
    const silent = testified.filter((w) => !top.witnesses.includes(w));
    const why =
      ruling === 'single'
        ? `only ${top.witnesses[0]} has a value${silent.length > 0 ? ` (${list(silent)}: none)` : ''}`
        : `${list(top.witnesses)} agree${silent.length > 0 ? ` (${list(silent)}: none)` : ''}`;
    return { value: top.value, ruling, witnesses, for: top.witnesses, why };
  }
  const others = candidates.slice(1).map((c) => list(c.witnesses));
  if (top.witnesses.length >= 2) {
    return {
      value: top.value,
      ruling: 'majority',
      witnesses,
      for: top.witnesses,
      why: `${list(top.witnesses)} agree against ${list(others)}${afterReask ? ' (after the LLM was asked again)' : ''}`,
    };
  }
  return {
    value: top.value,
    ruling: 'disputed',
    witnesses,
    for: top.witnesses,
    why: `${candidates.map((c) => list(c.witnesses)).join(' vs ')} each give a different value; held for a person (${top.witnesses[0]}'s value kept meanwhile)`,
  };
}

/**
 * Decides each field from the witnesses. Where they disagree, `reask` (when there is an LLM) is asked once about
 * the disputed fields; its answer replaces the LLM's first one (the LLM stays one witness). A value two witnesses
 * give is accepted; a field with none is disputed. A failed re-ask leaves the first answers standing.
 */
export async function decideLead(witnesses: Witnesses, reask?: Reask): Promise<LeadDecision> {
  const first = ruleAll(witnesses, new Set());
  const disputes = LEAD_FIELDS.filter((f) => candidatesOf(first.fields[f].witnesses).length > 1).map((field) => ({
    field,
    candidates: candidatesOf(first.fields[field].witnesses),
  }));
  if (disputes.length === 0 || reask === undefined || witnesses.llm === undefined) return first;
  let answer: Partial<Lead>;
  try {
    answer = await reask(disputes);
  } catch {
    return { ...first, reasked: true };
  }
  const llm: Lead = { ...witnesses.llm };
  for (const { field } of disputes) {
    if (field in answer) (llm as Record<LeadField, FieldValue>)[field] = (answer[field] ?? null) as FieldValue;
  }
  const second = ruleAll({ ...witnesses, llm }, new Set(disputes.map((d) => d.field)));
  for (const { field } of disputes) {
    const before = witnesses.llm[field];
    if (!sameValue(before, llm[field])) second.fields[field].llmFirst = before;
  }
  return { ...second, reasked: true };
}

/** The decision without asking anyone again (no LLM, or none reachable): what the witnesses give now. */
export function decideNow(witnesses: Witnesses): LeadDecision {
  return ruleAll(witnesses, new Set());
}

/** Rules on every field; `reasked` are the fields the LLM was asked again about. */
function ruleAll(witnesses: Witnesses, reasked: ReadonlySet<LeadField>): LeadDecision {
  const testimony = testimonyOf(witnesses);
  const fields = {} as Record<LeadField, FieldVerdict>;
  const lead = {} as Record<LeadField, FieldValue>;
  for (const field of LEAD_FIELDS) {
    const given: Partial<Record<WitnessName, FieldValue>> = {};
    for (const [name, values] of testimony) given[name] = values[field] ?? null;
    fields[field] = rule(given, reasked.has(field));
    lead[field] = fields[field].value;
  }
  const disputed = LEAD_FIELDS.filter((f) => fields[f].ruling === 'disputed');
  return { lead: lead as Lead, fields, disputed, reasked: false };
}

/**
 * The decided lead as an extraction result: each field's error and reason come from a reading that gave the
 * decided value (the live capture's values were accepted by the normalizer, so they carry none).
 */
export function decidedResult(decision: LeadDecision, readings: Partial<Record<'llm' | 'offline', ExtractionResult>>): ExtractionResult {
  const errors: LeadField[] = [];
  const reasons: ExtractionResult['reasons'] = {};
  for (const field of LEAD_FIELDS) {
    const verdict = decision.fields[field];
    const source = (['llm', 'offline'] as const).find((name) => verdict.for.includes(name) && readings[name] !== undefined);
    const reading = source === undefined ? undefined : readings[source];
    if (verdict.value === null) {
      const reason = readings.offline?.reasons[field] ?? readings.llm?.reasons[field];
      if (reason !== undefined) reasons[field] = reason;
      continue;
    }
    if (reading === undefined) continue;
    if (reading.errors.includes(field)) errors.push(field);
    const reason = reading.reasons[field];
    if (reason !== undefined) reasons[field] = reason;
  }
  const missing = LEAD_FIELDS.filter((f) => decision.lead[f] === null);
  return { lead: decision.lead, complete: missing.length === 0 && errors.length === 0, errors, missing, reasons };
}
