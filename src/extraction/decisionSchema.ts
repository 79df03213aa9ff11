import { z } from 'zod';
import { LEAD_FIELDS, LeadSchema } from '../leads/lead.js';
import { WITNESSES, type LeadDecision } from './fieldVote.js';

const FieldValueSchema = z.union([z.string(), z.number()]).nullable();

/** A field's verdict as stored (lead_decisions.fields, a spooled lead): see fieldVote.ts#FieldVerdict. */
export const FieldVerdictSchema = z.object({
  value: FieldValueSchema,
  ruling: z.enum(['agreed', 'single', 'majority', 'disputed', 'none']),
  witnesses: z.partialRecord(z.enum(WITNESSES), FieldValueSchema),
  for: z.array(z.enum(WITNESSES)),
  llmFirst: FieldValueSchema.optional(),
  why: z.string(),
});

/** A lead's decision read back from storage; what does not parse is not a decision. */
export const LeadDecisionSchema = z.object({
  lead: LeadSchema,
  fields: z.record(z.enum(LEAD_FIELDS), FieldVerdictSchema),
  disputed: z.array(z.enum(LEAD_FIELDS)),
  reasked: z.boolean(),
}) satisfies z.ZodType<LeadDecision>;

/** The verdicts of a stored decision's `fields` column, or null when they do not parse. */
export function readVerdicts(fields: unknown): LeadDecision['fields'] | null {
  const parsed = LeadDecisionSchema.shape.fields.safeParse(fields);
  return parsed.success ? parsed.data : null;
}
