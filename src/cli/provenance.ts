import { readVerdicts } from '../extraction/decisionSchema.js';
import { LEAD_FIELDS } from '../leads/lead.js';
import type { DecisionRecord } from '../db/decisionRepository.js';

/** How a lead's fields were decided, as the CLI shows it with the lead (null: no decision was kept). */
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

/** The provenance as lines: one per field, its ruling and the reason. */
export function describeProvenance(provenance: Provenance | null): string {
  if (provenance === null || provenance.fields === null) return 'decided   - (no witness record kept)';
  const { fields } = provenance;
  const lines = LEAD_FIELDS.map((f) => {
    const v = fields[f];
    return v === undefined ? `  ${f}` : `  ${f.padEnd(14)} ${v.ruling.padEnd(9)} ${v.why}`;
  });
  const review = provenance.review === 'none' ? '' : `  (review: ${provenance.review}${provenance.decidedBy ? ` by ${provenance.decidedBy}` : ''})`;
  return [`decided by the witnesses${review}:`, ...lines].join('\n');
}
