import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { CHANNELS, type Lead } from '../../leads/lead.js';
import { ConversationSessionSchema } from './conversationSession.js';

/** One retry of a failed lead that failed again (`leads failed retry`): the first reason stays in errorMessage. */
export interface FailedRetry {
  at: string;
  reason: string;
  /** NPA attempts that retry made. */
  attempts: number;
}

/**
 * A lead that could not be delivered (incomplete, or the NPA API refused or failed). Its `id` is the
 * Idempotency-Key every retry reuses; `resolvedAt` is set when a retry succeeds, or
 * when an operator marks it resolved with a note.
 */
export const FailedLeadSchema = defineEntity({
  name: 'FailedLead',
  tableName: 'failed_leads',
  properties: {
    id: p.uuid().primary(),
    leadData: p.json<Lead>(),
    errorMessage: p.text(),
    channel: p.enum([...CHANNELS]),
    session: p.manyToOne(ConversationSessionSchema).ref().nullable().deleteRule('set null').index(),
    attempts: p.integer().default(0),
    retries: p.json<FailedRetry[]>(),
    lastAttemptAt: p.datetime().nullable(),
    resolvedAt: p.datetime().nullable(),
    /** Set when an operator marked the lead resolved by hand (src/outbox/resolveFailedLead.ts), not by a retry. */
    resolutionNote: p.text().nullable(),
    resolvedBy: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [
    // `leads failed list` and retry --all read only the unresolved rows, newest first: a partial index.
    {
      name: 'failed_leads_unresolved_index',
      expression:
        'create index "failed_leads_unresolved_index" on "failed_leads" ("created_at") where "resolved_at" is null',
    },
    { name: 'failed_leads_created_at_index', properties: ['createdAt'] },
  ],
});

export type FailedLead = InferEntity<typeof FailedLeadSchema>;
