import { z } from 'zod';
import { LeadSchema } from '../leads/lead.js';
import { LeadDecisionSchema } from '../extraction/decisionSchema.js';

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
  /** How the lead's witnesses decided it (absent in records spooled before decisions were kept). */
  decision: LeadDecisionSchema.nullable().optional(),
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

/** The records of a spool file's text, those on damaged lines included. */
export function recordsIn(text: string): SpoolRecord[] {
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    const record = parseSpoolLine(line);
    return record === undefined ? salvageLine(line).records : [record];
  });
}

/** How every record's line begins (spoolLine writes the schema's keys in order, `v` first). */
const RECORD_START = '{"v":1,';

/**
 * The whole records in a line that does not parse as one, and the fragments around them: a write torn by a full
 * disk or a crash (no newline) with the next record appended to it reads as one line. A record is a JSON object
 * that begins like one (`{"v":1,`), runs to its matching brace and parses as a record.
 */
export function salvageLine(line: string): { records: SpoolRecord[]; fragments: string[] } {
  const records: SpoolRecord[] = [];
  const fragments: string[] = [];
  let consumed = 0;
  for (let start = line.indexOf(RECORD_START); start !== -1; start = line.indexOf(RECORD_START, start + 1)) {
    if (start < consumed) continue;
    const end = objectEnd(line, start);
    const record = end === -1 ? undefined : parseSpoolLine(line.slice(start, end));
    if (record === undefined) continue;
    if (start > consumed) fragments.push(line.slice(consumed, start));
    records.push(record);
    consumed = end;
  }
  if (consumed < line.length) fragments.push(line.slice(consumed));
  return { records, fragments };
}

/** The index just past the brace that closes the JSON object opening at `start`; -1 if the line ends first. */
function objectEnd(line: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN) {
      depth++;
    } else if (c === CLOSE && --depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
