import { readVerdicts } from '../extraction/decisionSchema.js';
import type { DecisionRecord } from '../db/decisionRepository.js';

/** How a lead's fields were decided, as the CLI and the console show it with the lead (null: no decision was kept). */
export interface Provenance {
  review: string;
  disputed: string[];
  reasked: boolean;
  /** Per field: the ruling, each witness's value, who won and why. */
  fields: ReturnType<typeof readVerdicts>;
  decidedBy: string | null;
  decidedAt: string | null;
}

export function provenanceOf(decision: DecisionRecord | undefined): Provenance | null {
  if (decision === undefined) return null;
  return {
    review: decision.review,
    disputed: decision.disputed,
    reasked: decision.reasked,
    fields: readVerdicts(decision.fields),
    decidedBy: decision.decidedBy,
    decidedAt: decision.decidedAt?.toISOString() ?? null,
  };
}
