import type { RealtimeFunctionTool } from 'openai/resources/realtime/realtime';
import { z } from 'zod';
import { LEAD_FIELDS } from '../leads/lead.js';

/** The name of the tool the agent records a confirmed lead field with (the live capture). */
export const RECORD_LEAD_FIELD = 'record_lead_field';

/**
 * The agent records a detail once the caller confirmed its read-back, and again after a correction. The tool's
 * output says whether the value was accepted (normalized) or refused, with the reason and what to ask next.
 */
export const RECORD_LEAD_FIELD_TOOL = {
  type: 'function',
  name: RECORD_LEAD_FIELD,
  description:
    'Record one detail of the lead once the caller has confirmed your read-back of it, and again whenever the caller ' +
    'corrects it. The output says "accepted" (with the value as stored) or "refused" with the reason and what to ' +
    'ask the caller next.',
  parameters: {
    type: 'object',
    properties: {
      field: { type: 'string', enum: [...LEAD_FIELDS], description: 'Which detail this is.' },
      value: {
        type: 'string',
        description:
          'The value as the caller confirmed it: the name as spelled, the 5-digit ZIP code, the 10 phone digits (or ' +
          '"CALLER_ID" for the number the caller is calling from), the 4-digit year, the make, the model.',
      },
    },
    required: ['field', 'value'],
    additionalProperties: false,
  },
} as const satisfies RealtimeFunctionTool;

/** The tool's arguments as the model sends them (a JSON string), checked before anything reads them. */
export const RecordLeadFieldArgsSchema = z.object({
  field: z.enum(LEAD_FIELDS),
  value: z.string(),
});
export type RecordLeadFieldArgs = z.infer<typeof RecordLeadFieldArgsSchema>;

/** The arguments parsed, or why they could not be (bad JSON, an unknown field, no value): never a throw. */
export function parseRecordLeadFieldArgs(json: string): { ok: true; args: RecordLeadFieldArgs } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'the arguments are not valid JSON' };
  }
  const parsed = RecordLeadFieldArgsSchema.safeParse(raw);
  if (parsed.success) return { ok: true, args: parsed.data };
  const path = parsed.error.issues[0]?.path.join('.') ?? '';
  return {
    ok: false,
    reason: path === 'field' ? `"field" must be one of ${LEAD_FIELDS.join(', ')}` : `the arguments need "field" and "value" (a string)`,
  };
}
