import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { CHANNELS, type Lead, type LeadField } from '../../leads/lead.js';
import { ConversationSessionSchema } from './conversationSession.js';

/** Where a lead's review stands (see the migration that creates lead_decisions). */
export const REVIEW_STATES = ['none', 'held', 'sent', 'approved', 'rejected'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/**
 * How a lead was decided from its witnesses: each field's verdict (src/extraction/fieldVote.ts), the fields no two
 * witnesses agree on, and the review a disputed lead waits for. `id` is the lead's id. A `held` lead has no outbox
 * row until a person approves it.
 */
export const LeadDecisionSchema = defineEntity({
  name: 'LeadDecision',
  tableName: 'lead_decisions',
  properties: {
    id: p.uuid().primary(),
    channel: p.enum([...CHANNELS]),
    session: p.manyToOne(ConversationSessionSchema).ref().nullable().deleteRule('set null').index(),
    externalId: p.text(),
    leadData: p.json<Lead>(),
    fields: p.json<Record<string, unknown>>(),
    disputed: p.json<LeadField[]>(),
    reasked: p.boolean().default(false),
    review: p.enum([...REVIEW_STATES]).default('none'),
    reviewNote: p.text().nullable(),
    decidedBy: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [
    {
      name: 'lead_decisions_open_review_index',
      expression: `create index "lead_decisions_open_review_index" on "lead_decisions" ("created_at") where "review" in ('held', 'sent')`,
    },
  ],
});

export type LeadDecisionRow = InferEntity<typeof LeadDecisionSchema>;
