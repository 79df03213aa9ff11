import type { Conversation, Turn } from '../leads/lead.js';
import { LEAVE_DETAILS_MESSAGE } from '../twilio/twiml.js';

/**
 * A voicemail as the extractors read a conversation: what the caller heard before the tone (the agent's turn),
 * then the transcript as one caller turn. An empty transcript gives no caller turn, so extraction sees that the
 * caller said nothing (`hasCallerTurn`) instead of reading an empty answer.
 */
export function voicemailTurns(transcript: string): Turn[] {
  const said = transcript.trim();
  const agent: Turn = { role: 'assistant', text: LEAVE_DETAILS_MESSAGE };
  return said === '' ? [agent] : [agent, { role: 'user', text: said }];
}

/** The voicemail as a Conversation; `callerPhone` is the call's From, for "call me back at this number". */
export function voicemailConversation(transcript: string, callerPhone: string | null): Conversation {
  return { callerPhone, turns: voicemailTurns(transcript) };
}
