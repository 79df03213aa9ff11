import { readVoiceState } from '../db/entities/sessionState.js';
import type { ConversationQueries } from '../db/conversationQueries.js';
import { FINAL_CALL_PHASES } from '../outbox/recoverySweep.js';
import { timelineOf } from './callDetail.js';
import { capturedOf, type LiveCall } from './liveCalls.js';

/**
 * The calls other live instances are running, read from their session rows (each call writes its phase as it
 * changes and each field the agent records as it arrives): the console's live view on any instance shows every
 * call. Coarser than this instance's own (the phase, not the nested state; no event list).
 */
export async function liveCallsElsewhere(
  queries: ConversationQueries,
  options: { instanceId: string; graceMs: number; recentMs?: number },
): Promise<LiveCall[]> {
  const rows = await queries.liveElsewhere({
    instanceId: options.instanceId,
    settledPhases: FINAL_CALL_PHASES,
    graceMs: options.graceMs,
    recentMs: options.recentMs ?? 60 * 60_000,
  });
  return rows.flatMap((row) => {
    const state = readVoiceState(row.state);
    if (state.phase === undefined) return [];
    const call: LiveCall = {
      callSid: state.callSid ?? row.sessionKey,
      leadId: state.leadId ?? '',
      startedAt: row.createdAt.toISOString(),
      state: state.phase,
      path: timelineOf(state.timings).map((step) => step.state),
      status: 'active',
      endedAt: null,
      outcome: null,
      captured: capturedOf(state.captured),
      callerPhone: state.callerPhone ?? null,
      lastEvents: [],
      instanceId: state.instanceId ?? null,
    };
    return [call];
  });
}
