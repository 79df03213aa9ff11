import type { LeadField } from './lead.js';

/**
 * What the agent recorded during a call through its `record_lead_field` tool (the live capture, the first of a
 * lead's witnesses): per field, the normalized value last accepted.
 */
export interface CapturedField {
  /** The normalized value (a lead field's type: the year a number, the rest strings). */
  value: string | number;
  /** When it was accepted (ISO time). */
  at: string;
  /** How many times the agent recorded this field, refused values included. */
  attempts: number;
}

export type CapturedFields = Partial<Record<LeadField, CapturedField>>;
