import type { Extraction } from '../extraction/extractor.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead, type LeadField } from '../leads/lead.js';

/**
 * The reading one SMS turn goes on: the offline reading, with what the LLM read where the offline reader found
 * nothing. A field the two disagree on keeps the offline value, so what is texted back is what the deterministic
 * reader took from the texter's words; the texter's yes (or correction) settles it, and the final vote sees both.
 */
export function turnReading(extraction: Extraction): ExtractionResult {
  const { offline, decision, result } = extraction;
  if (extraction.source === 'offline' || decision === null) return offline;
  const disputed = new Set<LeadField>(decision.disputed);
  if (disputed.size === 0) return result;
  const lead = { ...result.lead } as Record<LeadField, Lead[LeadField]>;
  const reasons = { ...result.reasons };
  const errors = result.errors.filter((field) => !disputed.has(field));
  for (const field of disputed) {
    lead[field] = offline.lead[field];
    if (offline.errors.includes(field)) errors.push(field);
    const reason = offline.reasons[field];
    if (reason === undefined) delete reasons[field];
    else reasons[field] = reason;
  }
  const missing = LEAD_FIELDS.filter((field) => lead[field] === null);
  return { lead: lead as Lead, complete: missing.length === 0 && errors.length === 0, errors, missing, reasons };
}
