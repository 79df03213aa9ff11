import { z } from 'zod';
import { CHANNELS, type Channel } from '../leads/lead.js';
import { CONVERSATION_OUTCOMES, type ConversationOutcome, type ConversationQueries, type ConversationSummaryRecord } from '../db/conversationQueries.js';
import { FINAL_CALL_PHASES, SETTLED_SMS_PHASES } from '../outbox/recoverySweep.js';
import { blankAsAbsent, parseInput } from './parseInput.js';
import { percentile } from './waitStats.js';

export const CONVERSATIONS_DEFAULT_LIMIT = 50;
export const CONVERSATIONS_MAX_LIMIT = 200;

/** The phases each channel's sessions end in: the rule `live` is read by, shared with the detail and the report. */
export const SETTLED_PHASES = { voice: FINAL_CALL_PHASES, sms: SETTLED_SMS_PHASES } as const;

/**
 * The call list's filter, as the HTTP layer receives it (query-string strings, coerced; an empty value is absent)
 * or as code passes it. `q`: phone digits (and phone punctuation) match any number of the conversation, anything
 * else part of the caller's name or the session key, case-insensitively. `from` inclusive, `to` exclusive.
 */
export const ConversationFilterSchema = z
  .object({
    q: z.preprocess(blankAsAbsent, z.string().trim().max(100).optional()),
    from: z.preprocess(blankAsAbsent, z.coerce.date().optional()),
    to: z.preprocess(blankAsAbsent, z.coerce.date().optional()),
    channel: z.preprocess(blankAsAbsent, z.enum(CHANNELS).optional()),
    outcome: z.preprocess(blankAsAbsent, z.enum(CONVERSATION_OUTCOMES).optional()),
    limit: z.preprocess(blankAsAbsent, z.coerce.number().int().min(1).max(CONVERSATIONS_MAX_LIMIT).default(CONVERSATIONS_DEFAULT_LIMIT)),
    offset: z.preprocess(blankAsAbsent, z.coerce.number().int().min(0).default(0)),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from < f.to, { message: 'from must be before to', path: ['to'] });

export type ConversationFilter = z.output<typeof ConversationFilterSchema>;
export type ConversationFilterInput = z.input<typeof ConversationFilterSchema>;

/** One conversation of the list: what it was, how it ended, how long the caller waited. Times are ISO strings. */
export interface ConversationRow {
  sessionId: string;
  /** The CallSid, or `sms:<lead id>`. */
  sessionKey: string;
  callSid: string | null;
  channel: Channel;
  startedAt: string;
  /** The media stream's start to the conversation's end (voice, from the quality record). */
  durationMs: number | null;
  phase: string | null;
  /** The outbox's word on the lead, else `lost`, else `live` while the conversation runs; null otherwise. */
  outcome: ConversationOutcome | null;
  reason: string | null;
  leadId: string | null;
  callerPhone: string | null;
  name: string | null;
  greetingMs: number | null;
  /** The median of the agent's response waits in the call. */
  responseP50Ms: number | null;
  bargeIns: number | null;
  /** A stored recording of the conversation (or its voicemail) that the retention sweep has not deleted. */
  hasRecording: boolean;
}

export interface ConversationPage {
  rows: ConversationRow[];
  /** Conversations matching the filter, all pages together. */
  total: number;
}

const ResponseWaitsSchema = z.array(z.number()).catch([]);

/** A session's summary as a list row (also the detail's summary). */
export function conversationRow(record: ConversationSummaryRecord): ConversationRow {
  return {
    sessionId: record.id,
    sessionKey: record.sessionKey,
    callSid: record.callSid,
    channel: record.channel,
    startedAt: record.createdAt.toISOString(),
    durationMs: record.durationMs,
    phase: record.phase,
    outcome: record.outcome,
    reason: record.reason,
    leadId: record.leadId,
    callerPhone: record.callerPhone,
    name: record.name,
    greetingMs: record.greetingMs,
    responseP50Ms: percentile(ResponseWaitsSchema.parse(record.responseMs), 50),
    bargeIns: record.bargeIns,
    hasRecording: record.hasRecording,
  };
}

/** Conversations (voice and SMS), newest first, filtered; throws BadInputError for a filter that does not parse. */
export async function listConversations(queries: ConversationQueries, filter: ConversationFilterInput = {}): Promise<ConversationPage> {
  const f = parseInput(ConversationFilterSchema, filter);
  const { rows, total } = await queries.list(f, SETTLED_PHASES);
  return { rows: rows.map(conversationRow), total };
}
