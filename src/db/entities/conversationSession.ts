import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const CHANNELS = ['voice', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Free-form session state: collected fields, transcript, outcome, timings. Written by shallow merges. */
export type SessionState = Record<string, unknown>;

/** One conversation: a phone call (keyed by CallSid) or an SMS thread (keyed by the caller's number). */
export const ConversationSessionSchema = defineEntity({
  name: 'ConversationSession',
  tableName: 'conversation_sessions',
  properties: {
    id: p.uuid().primary(),
    channel: p.enum(['voice', 'sms']),
    sessionKey: p.string().unique(),
    state: p.json<SessionState>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type ConversationSession = InferEntity<typeof ConversationSessionSchema>;
