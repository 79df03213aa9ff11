import { supportingTurns } from '../extraction/callerSupport.js';
import type { LeadField, Turn } from '../leads/lead.js';

/** One numbered line of a transcript: `index` is its position in the session's transcript (0 is the first turn). */
export interface TranscriptLine {
  index: number;
  speaker: 'agent' | 'caller';
  text: string;
}

export const speakerOf = (turn: Turn): TranscriptLine['speaker'] => (turn.role === 'user' ? 'caller' : 'agent');

/** The transcript as numbered lines. */
export function transcriptLines(turns: readonly Turn[]): TranscriptLine[] {
  return turns.map((turn, index) => ({ index, speaker: speakerOf(turn), text: turn.text }));
}

/**
 * The lines a field's value rests on: the caller turns (or the read-backs the caller confirmed) that say it, found
 * the way extraction checks a reader's value (src/extraction/callerSupport.ts). A value said across several turns
 * (digits in groups) rests on none of them alone: no lines.
 */
export function linesSaying(field: LeadField, value: string | number | null | undefined, turns: readonly Turn[], callerPhone: string | null): number[] {
  if (value === null || value === undefined) return [];
  return supportingTurns(field, value, { callerPhone, turns: [...turns] });
}
