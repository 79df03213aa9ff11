import type { Conversation, ExtractionResult } from '../../leads/lead.js';
import { leadOfReading, readTurn, startReading } from './offlineReading.js';

/** Whether the conversation has anything the caller said: without it there is nothing to read. */
export const hasCallerTurn = (conversation: Conversation): boolean =>
  conversation.turns.some((turn) => turn.role === 'user' && turn.text.trim() !== '');

/**
 * Extracts the lead from a call without any model: question tracking plus confirmation logic, read turn by
 * turn (see offlineReading.ts). A conversation in which the caller said nothing gives nothing (the agent's own
 * words are not the caller's lead).
 */
export function extractOffline(conversation: Conversation, now: Date = new Date(), refusedStates?: readonly string[]): ExtractionResult {
  const reading = conversation.turns.reduce((r, turn) => readTurn(r, turn, now), startReading());
  return leadOfReading(reading, conversation.callerPhone ?? null, now, refusedStates);
}
