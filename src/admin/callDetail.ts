import type { CapturedFields } from '../leads/capturedFields.js';
import type { Turn } from '../leads/lead.js';
import { ConversationQueries } from '../db/conversationQueries.js';
import { readSmsState, readVoiceState, type CallQuality, type CallRecording, type VoiceState } from '../db/entities/sessionState.js';
import { isUuid } from '../db/isUuid.js';
import { recordingLink, type RecordingLink, type RecordingRecord } from '../db/recordingRepository.js';
import type { Repositories } from '../db/repositories.js';
import type { SessionRecord } from '../db/sessionRepository.js';
import { conversationRow, SETTLED_PHASES, type ConversationRow } from './callList.js';
import { leadDetail, type LeadDetail } from './leadDetail.js';
import { speakerOf, type TranscriptLine } from './transcriptLines.js';

/** A transcript turn as the detail page shows it beside the recording. */
export interface TranscriptTurn extends TranscriptLine {
  role: Turn['role'];
  /**
   * Where the turn starts in the call's recording, ms from its start (Twilio's stream start); null when the
   * session does not tell. Stored turns carry no times today, so this is null until they do.
   */
  startMs: number | null;
}

/** One stored recording of the conversation (the HTTP layer serves it by `callSid` and `kind`). */
export type RecordingView = RecordingLink & { callSid: string; createdAt: string; deletedAt: string | null };

/** A phase the call went through, and when it entered it: the replay of the call on the statechart. */
export interface TimelineStep {
  state: string;
  at: string;
}

export interface ConversationDetail {
  /** The conversation as the list shows it, with when its session was last written. */
  session: ConversationRow & { updatedAt: string; endReason: string | null; failureReason: string | null };
  transcript: TranscriptTurn[];
  recordings: RecordingView[];
  /** The caller's message left with Twilio after a model failure (a reference; its audio is Twilio's). */
  voicemail: { recording: CallRecording | null; status: VoiceState['voicemail'] | null };
  quality: CallQuality | null;
  /** What the agent recorded live, per field. */
  captured: CapturedFields | null;
  extraction: VoiceState['extraction'] | null;
  /** Phases in the order the call entered them (a phase entered twice shows its last entry only). */
  timeline: TimelineStep[];
  /** The call's lead; null when the session names none. */
  lead: LeadDetail | null;
}

/** Every phase of `timings` with its time, oldest first (ties keep the order they were written in). */
export function timelineOf(timings: Record<string, string> | undefined): TimelineStep[] {
  return Object.entries(timings ?? {})
    .map(([state, at]) => ({ state, at, ms: Date.parse(at) }))
    .filter((step) => !Number.isNaN(step.ms))
    .sort((a, b) => a.ms - b.ms)
    .map(({ state, at }) => ({ state, at }));
}

/** The turns with where each begins in the recording, when the call wrote that for exactly these turns. */
function transcriptTurns(turns: readonly Turn[], startsMs: ReadonlyArray<number | null> | undefined): TranscriptTurn[] {
  const starts = startsMs !== undefined && startsMs.length === turns.length ? startsMs : null;
  return turns.map((turn, index) => ({ index, speaker: speakerOf(turn), role: turn.role, text: turn.text, startMs: starts?.[index] ?? null }));
}

const recordingView = (r: RecordingRecord): RecordingView => ({
  ...recordingLink(r),
  callSid: r.callSid,
  createdAt: r.createdAt.toISOString(),
  deletedAt: r.deletedAt?.toISOString() ?? null,
});

async function findSession(repos: Repositories, sessionIdOrKey: string): Promise<SessionRecord | null> {
  if (isUuid(sessionIdOrKey)) {
    const byId = await repos.sessions.get(sessionIdOrKey);
    if (byId !== null) return byId;
  }
  return repos.sessions.getByKey(sessionIdOrKey);
}

/**
 * One conversation, all of it: summary, transcript, recordings, quality record, phase timeline, and its lead with
 * the witnesses' vote, the NPA request and answer and the outbox attempts. By session id or session key (CallSid,
 * `sms:<lead id>`); null when there is no such session.
 */
export async function conversationDetail(repos: Repositories, sessionIdOrKey: string): Promise<ConversationDetail | null> {
  const session = await findSession(repos, sessionIdOrKey);
  if (session === null) return null;
  const queries = new ConversationQueries(repos.db);
  const [summary, recordings] = await Promise.all([queries.summary(session.id, SETTLED_PHASES), repos.recordings.forSessions([session.id])]);
  if (summary === null) return null;
  const row = conversationRow(summary);
  const voice = session.channel === 'voice' ? readVoiceState(session.state) : {};
  const sms = session.channel === 'sms' ? readSmsState(session.state) : {};
  const transcript = voice.transcript ?? sms.transcript ?? [];
  const leadId = voice.leadId ?? sms.leadId ?? null;
  const externalId = voice.externalId ?? sms.externalId ?? row.callSid ?? null;
  return {
    session: { ...row, updatedAt: session.updatedAt.toISOString(), endReason: voice.endReason ?? null, failureReason: voice.failureReason ?? null },
    transcript: transcriptTurns(transcript, voice.turnStartsMs),
    recordings: (recordings.get(session.id) ?? []).map(recordingView),
    voicemail: { recording: voice.recording ?? null, status: voice.voicemail ?? null },
    quality: voice.quality ?? null,
    captured: voice.captured ?? null,
    extraction: voice.extraction ?? null,
    timeline: timelineOf(voice.timings),
    lead: leadId === null ? null : await leadDetail(repos, queries, leadId, { channel: session.channel, externalId }),
  };
}
