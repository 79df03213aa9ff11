import { randomUUID } from 'node:crypto';
import type { Database } from './orm.js';

/** A message the caller left after the model failed (Twilio `<Record>`): a reference, never the audio itself. */
export interface CallRecording {
  /** Twilio's RecordingSid (RE...). */
  sid: string;
  /** Twilio's RecordingUrl (fetching it needs the account's credentials). */
  url: string;
  durationSeconds: number | null;
  receivedAt: string;
}

export interface AttachedRecording {
  sessionId: string;
  /** Failed leads of the call that now carry the reference (none when the lead is not saved yet, or succeeded). */
  failedLeadIds: string[];
}

/** How a failed lead's reason names the recording, so operators calling back can find it. */
export const recordingNote = (recording: CallRecording): string =>
  `caller left a recording: ${recording.sid} ${recording.url}`;

/**
 * Records a caller's recording on the call's session state (`recording`) and on the call's unresolved failed leads
 * (appended to the reason; there is no column for it). One transaction; a repeated delivery changes nothing twice.
 */
export async function attachCallRecording(
  db: Database,
  input: { callSid: string; recording: CallRecording },
): Promise<AttachedRecording> {
  return db.em().transactional(async (em) => {
    const sessions = await em.execute<{ id: string }[]>(
      `insert into conversation_sessions (id, channel, session_key, state, created_at, updated_at)
       values (?, 'voice', ?, ?::jsonb, now(), now())
       on conflict (session_key) do update
         set state = conversation_sessions.state || excluded.state, updated_at = now()
       returning id`,
      [randomUUID(), input.callSid, JSON.stringify({ recording: input.recording })],
    );
    const sessionId = sessions[0]?.id;
    if (sessionId === undefined) throw new Error('session upsert returned no row');
    const note = recordingNote(input.recording);
    await em.execute(
      `update failed_leads set error_message = error_message || '; ' || ?
       where session_id = ? and resolved_at is null and position(? in error_message) = 0`,
      [note, sessionId, input.recording.sid],
      'run',
    );
    const leads = await em.execute<{ id: string }[]>(
      `select id from failed_leads where session_id = ? and position(? in error_message) > 0`,
      [sessionId, input.recording.sid],
    );
    return { sessionId, failedLeadIds: leads.map((row) => row.id) };
  });
}
