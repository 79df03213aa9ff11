import { LEAD_FIELDS } from '../leads/lead.js';
import type { Provenance } from '../outbox/provenance.js';

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
