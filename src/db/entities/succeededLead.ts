import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { CHANNELS, type Lead } from '../../leads/lead.js';
import { ConversationSessionSchema } from './conversationSession.js';

/** A lead the NPA API accepted; `id` is also the Idempotency-Key it was sent with. */
export const SucceededLeadSchema = defineEntity({
  name: 'SucceededLead',
  tableName: 'succeeded_leads',
  properties: {
    id: p.uuid().primary(),
    leadData: p.json<Lead>(),
    channel: p.enum([...CHANNELS]),
    session: p.manyToOne(ConversationSessionSchema).ref().nullable().deleteRule('set null').index(),
    npaResponse: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()).index('succeeded_leads_created_at_index'),
  },
});

export type SucceededLead = InferEntity<typeof SucceededLeadSchema>;
