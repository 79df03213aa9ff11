import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { SessionState } from './sessionState.js';
import { CHANNELS } from '../../leads/lead.js';

/**
 * One conversation (its state: sessionState.ts): a phone call (keyed by its CallSid) or one SMS conversation (keyed
 * `sms:<lead id>`; a texter's later conversation is a session of its own).
 */
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
  indexes: [
    // The open SMS conversation of a number (src/db/sessionRepository.ts findSms).
    {
      name: 'conversation_sessions_sms_phone_index',
      expression: `create index "conversation_sessions_sms_phone_index" on "conversation_sessions" (("state"->>'phone'), "created_at") where "channel" = 'sms'`,
    },
  ],
});

export type ConversationSession = InferEntity<typeof ConversationSessionSchema>;
