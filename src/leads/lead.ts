import { z } from 'zod';

/** The six fields a lead is made of, in the order the agent asks for them. */
export const LEAD_FIELDS = [
  'full_name',
  'zip_code',
  'phone',
  'vehicle_year',
  'vehicle_make',
  'vehicle_model',
] as const;

export type LeadField = (typeof LEAD_FIELDS)[number];

/** Where a lead came from. */
export const CHANNELS = ['voice', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A lead as stored and submitted: every field normalized, or null when never given. */
export const LeadSchema = z.object({
  full_name: z.string().nullable(),
  zip_code: z.string().regex(/^\d{5}$/).nullable(),
  phone: z.string().regex(/^\+1\d{10}$/).nullable(),
  vehicle_year: z.number().int().nullable(),
  vehicle_make: z.string().nullable(),
  vehicle_model: z.string().nullable(),
});
export type Lead = z.infer<typeof LeadSchema>;

/**
 * A lead as a reader (the LLM, the offline extractor, an SMS turn) first takes it down: raw strings, before the
 * normalizer applies the rules. The LLM's JSON schema is built from this.
 */
export const RawLeadSchema = z.object({
  full_name: z.string().nullable().describe("The caller's first and last name as last confirmed; a spelled name wins"),
  zip_code: z.string().nullable().describe('The ZIP code where the vehicle is, as last confirmed'),
  phone: z
    .string()
    .nullable()
    .describe('The callback phone number; the literal "CALLER_ID" when the caller said to use the number they call from'),
  vehicle_year: z.string().nullable().describe('The vehicle model year'),
  vehicle_make: z.string().nullable().describe('The manufacturer'),
  vehicle_model: z.string().nullable().describe('The model name'),
});
export type RawLead = z.infer<typeof RawLeadSchema>;

/** One turn of a conversation transcript. */
export const TurnSchema = z.object({
  role: z.enum(['assistant', 'user']),
  text: z.string(),
});
export type Turn = z.infer<typeof TurnSchema>;

/** A finished conversation as extraction reads it (the shape of `../shared/transcripts/*.json`; other keys ignored). */
export const ConversationSchema = z.object({
  callerPhone: z.string().nullable().optional(),
  turns: z.array(TurnSchema),
});
export type Conversation = z.infer<typeof ConversationSchema>;

/** What every extractor returns. `errors` names fields given but not acceptable; `reasons` says why, readably. */
export interface ExtractionResult {
  lead: Lead;
  complete: boolean;
  errors: LeadField[];
  missing: LeadField[];
  reasons: Partial<Record<LeadField, string>>;
}

export const emptyLead = (): Lead => ({
  full_name: null,
  zip_code: null,
  phone: null,
  vehicle_year: null,
  vehicle_make: null,
  vehicle_model: null,
});
