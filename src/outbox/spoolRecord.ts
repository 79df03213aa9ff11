import { z } from 'zod';
import { LeadSchema } from '../leads/lead.js';

/** One spooled lead: what the outbox needs to accept it, the session it belongs to, and how its replays went. */
export const SpoolRecordSchema = z.object({
  v: z.literal(1),
  id: z.uuid(),
  channel: z.enum(['voice', 'sms']),
  externalId: z.string(),
  sessionKey: z.string(),
  sessionState: z.record(z.string(), z.unknown()),
  lead: LeadSchema,
  refusal: z.string().nullable(),
  spooledAt: z.string(),
  /** Replays the database answered and refused; at SPOOL_MAX_TRIES the record is a dead letter. */
  tries: z.number().int().nonnegative().optional(),
  /** Why the last of those replays failed (reasonOf: class and SQLSTATE, never values). */
  lastError: z.string().optional(),
});
export type SpoolRecord = z.infer<typeof SpoolRecordSchema>;

/** One line of a spool file as its record, or undefined when it is not one (torn, edited, another version). */
export function parseSpoolLine(line: string): SpoolRecord | undefined {
  try {
    const parsed = SpoolRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A record as its line (without the newline). */
export function spoolLine(record: SpoolRecord): string {
  return JSON.stringify(SpoolRecordSchema.parse(record));
}
