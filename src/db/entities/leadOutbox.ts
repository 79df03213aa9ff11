import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { CHANNELS, type Lead } from '../../leads/lead.js';
import { ConversationSessionSchema } from './conversationSession.js';

/**
 * A lead on its way to the NPA API (src/outbox/leadOutbox.ts reads and writes it in SQL; the entity keeps the
 * schema in the ORM's view so `migration:create` does not propose dropping it). `kind` 'retry' rows come from
 * `leads failed retry` and resolve their failed_leads row instead of writing a new one.
 */
export const LeadOutboxSchema = defineEntity({
  name: 'LeadOutbox',
  tableName: 'lead_outbox',
  properties: {
    id: p.uuid().primary(),
    leadData: p.json<Lead>(),
    channel: p.enum([...CHANNELS]),
    session: p.manyToOne(ConversationSessionSchema).ref().nullable().deleteRule('set null').index(),
    externalId: p.text(),
    kind: p.enum(['new', 'retry']).default('new'),
    status: p.enum(['pending', 'succeeded', 'failed']).default('pending'),
    attempts: p.integer().default(0),
    npaAttempts: p.integer().default(0),
    maxAttempts: p.integer(),
    nextAttemptAt: p.datetime(),
    lockedUntil: p.datetime().nullable(),
    lockedBy: p.text().nullable(),
    lastError: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [
    {
      name: 'lead_outbox_due_index',
      expression: `create index "lead_outbox_due_index" on "lead_outbox" ("next_attempt_at") where "status" = 'pending'`,
    },
  ],
});

export type LeadOutboxRow = InferEntity<typeof LeadOutboxSchema>;
