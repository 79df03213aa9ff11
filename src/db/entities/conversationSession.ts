import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { SessionState } from './sessionState.js';
import { CHANNELS } from '../../leads/lead.js';

/** One conversation (its state: src/db/sessionState.ts): a phone call (keyed by CallSid) or an SMS thread (keyed by the caller's number). */
export const ConversationSessionSchema = defineEntity({
  name: 'ConversationSession',
  tableName: 'conversation_sessions',
  properties: {
    id: p.uuid().primary(),
    channel: p.enum([...CHANNELS]),
    sessionKey: p.string().unique(),
    state: p.json<SessionState>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type ConversationSession = InferEntity<typeof ConversationSessionSchema>;
