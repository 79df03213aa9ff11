import type { SessionRepository } from '../db/sessionRepository.js';
import { readVoiceState } from '../db/entities/sessionState.js';

export const APOLOGY_LOOKUP_TRIES = 5;
export const APOLOGY_LOOKUP_WAIT_MS = 100;

/**
 * Whether a call run by another instance should hear the apology after its stream closed (Twilio's `<Connect action>`
 * may land on any instance): its session row says so once that instance wrote the conversation's end (a model failure).
 * The write races Twilio's webhook, so a call still connecting or streaming is asked again a few times, briefly.
 */
export async function apologyFromSession(
  sessions: Pick<SessionRepository, 'getByKey'>,
  callSid: string,
  options: { tries?: number; waitMs?: number } = {},
): Promise<boolean> {
  const tries = options.tries ?? APOLOGY_LOOKUP_TRIES;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const row = await sessions.getByKey(callSid).catch(() => null);
    const state = row === null ? {} : readVoiceState(row.state);
    if (state.endReason === 'model-failure') return true;
    const phase = state.phase;
    if (row === null || (phase !== undefined && phase !== 'connecting' && phase !== 'streaming')) return false;
    if (attempt < tries) await new Promise((resolve) => setTimeout(resolve, options.waitMs ?? APOLOGY_LOOKUP_WAIT_MS));
  }
  return false;
}
