import type { Database } from './orm.js';
import { createRepositories } from './repositories.js';
import type { CallRecording } from './entities/sessionState.js';

export type { CallRecording } from './entities/sessionState.js';

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
  const repos = createRepositories(db);
  return repos.db.em().transactional(async (em) => {
    const sessionId = await repos.sessions.open({ channel: 'voice', sessionKey: input.callSid, state: { recording: input.recording } }, em);
    const failedLeadIds = await repos.failed.appendNote(em, sessionId, recordingNote(input.recording), input.recording.sid);
    return { sessionId, failedLeadIds };
  });
}
