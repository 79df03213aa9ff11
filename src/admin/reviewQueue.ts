import type { Channel, LeadField } from '../leads/lead.js';
import type { DecisionRecord } from '../db/decisionRepository.js';
import { callerPhoneIn, readVoiceState } from '../db/entities/sessionState.js';
import type { Repositories } from '../db/repositories.js';
import type { SessionRecord } from '../db/sessionRepository.js';
import type { FieldValue, WitnessName } from '../extraction/fieldVote.js';
import { candidatesOf } from '../outbox/leadReview.js';
import { witnessValues } from './fieldVotes.js';
import { linesSaying, transcriptLines, type TranscriptLine } from './transcriptLines.js';

export const REVIEW_QUEUE_DEFAULT_LIMIT = 100;

/** One witness's value for a disputed field and the transcript lines (by index) where it was said. */
export interface ReviewCandidate {
  witness: WitnessName;
  value: FieldValue;
  lines: number[];
}

export interface DisputedField {
  field: LeadField;
  candidates: ReviewCandidate[];
  /** The transcript lines behind any candidate, in transcript order. */
  lines: TranscriptLine[];
}

export interface ReviewItem {
  leadId: string;
  sessionId: string | null;
  /** The call's CallSid (null for an SMS conversation: see sessionKey). */
  callSid: string | null;
  sessionKey: string | null;
  channel: Channel;
  /** `held`: not sent until approved; `sent`: sent with the majority values (REVIEW_POLICY=send), flagged. */
  review: 'held' | 'sent';
  createdAt: string;
  disputed: DisputedField[];
}

export interface ReviewQueue {
  /** Leads waiting for a person, all of them (items may be fewer: `limit`). */
  size: number;
  /** When the oldest of them was decided; null for an empty queue. */
  oldestAt: string | null;
  /** Oldest first. */
  items: ReviewItem[];
}

function disputedFields(decision: DecisionRecord, session: SessionRecord | null): DisputedField[] {
  const transcript = readVoiceState(session?.state).transcript ?? [];
  const callerPhone = callerPhoneIn(session?.state);
  const numbered = transcriptLines(transcript);
  const candidates = candidatesOf(decision);
  return decision.disputed.map((field) => {
    // candidatesOf reads the stored verdicts, whose witness values are field values.
    const given = witnessValues((candidates[field] ?? {}) as Partial<Record<WitnessName, FieldValue>>);
    const withLines = given.map(({ witness, value }) => ({ witness, value, lines: linesSaying(field, value, transcript, callerPhone) }));
    const indexes = [...new Set(withLines.flatMap((c) => c.lines))].sort((a, b) => a - b);
    return { field, candidates: withLines, lines: indexes.flatMap((i) => numbered[i] ?? []) };
  });
}

/**
 * The review queue: leads whose witnesses disagree on a field, oldest first, each disputed field with every
 * witness's value and the transcript lines behind it; its size and oldest age.
 */
export async function reviewQueue(repos: Repositories, options: { limit?: number } = {}): Promise<ReviewQueue> {
  const [size, decisions] = await Promise.all([
    repos.decisions.countOpenReviews(),
    repos.decisions.openReviews({ limit: options.limit ?? REVIEW_QUEUE_DEFAULT_LIMIT }),
  ]);
  const items = await Promise.all(
    decisions.map(async (decision): Promise<ReviewItem> => {
      const session = decision.sessionId === null ? null : await repos.sessions.get(decision.sessionId);
      return {
        leadId: decision.id,
        sessionId: decision.sessionId,
        callSid: session?.channel === 'voice' ? (readVoiceState(session.state).callSid ?? session.sessionKey) : null,
        sessionKey: session?.sessionKey ?? null,
        channel: decision.channel,
        review: decision.review === 'sent' ? 'sent' : 'held',
        createdAt: decision.createdAt.toISOString(),
        disputed: disputedFields(decision, session),
      };
    }),
  );
  return { size, oldestAt: items[0]?.createdAt ?? null, items };
}
