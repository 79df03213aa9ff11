import type { DecisionRecord } from '../db/decisionRepository.js';
import { provenanceOf } from '../outbox/provenance.js';
import { WITNESSES, type FieldRuling, type FieldValue, type WitnessName } from '../extraction/fieldVote.js';
import { LEAD_FIELDS, type LeadField } from '../leads/lead.js';

/** What one witness said about a field (null: it had no value). */
export interface WitnessValue {
  witness: WitnessName;
  value: FieldValue;
}

/** How one field of a lead was decided: each witness's value, the ruling, who won and why. */
export interface FieldVote {
  field: LeadField;
  /** The decided value (for a disputed field: the preferred witness's, until a person decides). */
  value: FieldValue;
  ruling: FieldRuling;
  /** No two witnesses agree: the lead waits for a person (or was sent flagged). */
  disputed: boolean;
  witnesses: WitnessValue[];
  for: WitnessName[];
  /** The LLM's first answer when it was asked again about the field and answered otherwise; else null. */
  llmFirst: FieldValue;
  why: string;
}

/** Each witness that testified, in the order their value is preferred. */
export function witnessValues(given: Partial<Record<WitnessName, FieldValue | undefined>>): WitnessValue[] {
  return WITNESSES.filter((w) => w in given).map((witness) => ({ witness, value: given[witness] ?? null }));
}

/** The vote on every field of a decided lead, in the order the agent asks; none when no witness record was kept. */
export function fieldVotes(decision: DecisionRecord | undefined): FieldVote[] {
  const provenance = provenanceOf(decision);
  const verdicts = provenance?.fields;
  if (provenance === null || verdicts === null || verdicts === undefined) return [];
  return LEAD_FIELDS.flatMap((field) => {
    const verdict = verdicts[field];
    if (verdict === undefined) return [];
    return [
      {
        field,
        value: verdict.value,
        ruling: verdict.ruling,
        disputed: provenance.disputed.includes(field),
        witnesses: witnessValues(verdict.witnesses),
        for: verdict.for,
        llmFirst: verdict.llmFirst ?? null,
        why: verdict.why,
      },
    ];
  });
}
