import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { FINAL_CALL_STATES } from '../../machines/callMachine.js';
import type { Logger } from '../log.js';
import type { ExtractionResult } from '../leads/lead.js';
import { RECOVERY_REASON, SMS_ABANDONED_REASON, refusalFor } from '../leads/problems.js';
import { offlineExtraction } from '../extraction/extractor.js';
import type { LeadDecision } from '../extraction/fieldVote.js';
import { extractOffline } from '../extraction/offline/extractOffline.js';
import { isUuid } from '../db/isUuid.js';
import type { Repositories } from '../db/repositories.js';
import { readSmsState, readVoiceState, type VoiceState } from '../db/entities/sessionState.js';
import type { IdleSession } from '../db/sessionRepository.js';
import type { LeadIntake, LeadSubmission } from './leadIntake.js';
import { leadStateIn } from './leadState.js';

/** The phase a sweep writes on a call it rebuilt. */
export const RECOVERED_PHASE = 'recovered';
/** Phases a call's session ends in: the machine's final states and the sweep's own; anything else was left mid-call. */
export const FINAL_CALL_PHASES: readonly string[] = [...FINAL_CALL_STATES, RECOVERED_PHASE];
/** Phases an SMS conversation's session ends in. */
export const SETTLED_SMS_PHASES: readonly string[] = ['done', 'abandoned'];
const SWEEP_BATCH = 20;

/**
 * Sessions whose lead waits in the spool (LeadSpool): a sweep leaves them alone, since the spooled lead (the call's
 * whole transcript and extraction) is the one to keep, not a rebuild from the session's stale row.
 */
export interface SpooledSessions {
  holds(sessionKey: string): boolean;
  heldKeys(): readonly string[];
}

export interface RecoveryDeps {
  repos: Repositories;
  intake: LeadIntake;
  logger: Logger;
  /** States whose ZIP codes are refused (REFUSED_STATES); default AK, HI. */
  refusedStates?: readonly string[];
}

/**
 * Turns voice sessions abandoned by a dead process into leads. A session counts as abandoned when its phase is not
 * final, it is not a call live in this process, no lead of it waits in the spool (`held`), and its process is
 * gone: the instance that ran it is dead (no heartbeat for `graceMs`, or stopped), or it is this instance id's
 * previous run, or (run here or by an unknown instance) it has not been written for `graceMs` (live calls write their
 * transcript and a heartbeat). Its stored transcript is read by the offline extractor (or the fields an extraction
 * already stored are used) and the lead goes through the intake under the call's own lead id, so a lead the dead
 * process had already queued is not queued twice. Rows are claimed with SKIP LOCKED: instances sweep side by side.
 */
export async function sweepAbandonedCalls(
  deps: RecoveryDeps,
  options: { instanceId: string; graceMs: number; isLive: (sessionKey: string) => boolean; held?: SpooledSessions },
): Promise<number> {
  const claim = (em: EntityManager) =>
    deps.repos.sessions.claimAbandonedCalls(em, {
      instanceId: options.instanceId,
      settledPhases: FINAL_CALL_PHASES,
      graceMs: options.graceMs,
      limit: SWEEP_BATCH,
      excludeKeys: options.held?.heldKeys() ?? [],
    });
  return sweepIdle(deps, claim, async (row, em) => {
    if (options.isLive(row.sessionKey) || options.held?.holds(row.sessionKey) === true) return null;
    const state = readVoiceState(row.state);
    const leadId = leadIdOf(state.leadId);
    // The lead already has its row (the call saved it; only the session's last writes were lost): nothing to
    // rebuild from a stale transcript. The session gets the final phase its lead stands at.
    const standing = await leadStateIn(deps.repos, em, leadId);
    if (standing.status !== 'absent') {
      const phase = standing.status === 'succeeded' ? 'saved-success' : standing.status === 'review' ? 'saved-review' : 'saved-failure';
      await deps.repos.sessions.patch(row.id, { phase }, em);
      deps.logger.warn({ leadId, sessionId: row.id }, 'stale session of a saved lead given its final phase');
      return null;
    }
    const { result: extraction, decision } = leadOf(state, deps.refusedStates);
    const refusal = refusalFor(extraction, { context: RECOVERY_REASON });
    deps.logger.warn({ leadId, sessionId: row.id, complete: extraction.complete }, 'abandoned call recovered into a lead');
    return {
      id: leadId,
      channel: 'voice',
      externalId: row.sessionKey,
      lead: extraction.lead,
      ...(refusal === undefined ? {} : { refusal }),
      decision,
      sessionKey: row.sessionKey,
      sessionState: {
        phase: RECOVERED_PHASE,
        recovery: { reason: RECOVERY_REASON, at: new Date().toISOString(), fromPhase: state.phase ?? null },
      },
    };
  });
}

/**
 * The fields an extraction stored when it was complete and undisputed; otherwise the offline reading of the stored
 * transcript and what the agent recorded live (kept as it arrived), decided by their vote.
 */
function leadOf(state: VoiceState, refusedStates?: readonly string[]): { result: ExtractionResult; decision: LeadDecision | null } {
  if (state.fields && state.extraction?.complete === true && (state.extraction.disputed ?? []).length === 0) {
    return { result: { lead: state.fields, complete: true, errors: [], missing: [], reasons: {} }, decision: null };
  }
  const offline = extractOffline({ callerPhone: state.callerPhone ?? null, turns: state.transcript ?? [] }, new Date(), refusedStates);
  return offlineExtraction(offline, undefined, state.captured ?? {});
}

/**
 * Turns SMS conversations nobody has answered for `idleMs` into leads, so what a texter gave is never lost: the
 * transcript is read by the offline extractor; a complete lead is sent, an incomplete one is saved as failed with
 * the reason. The session is marked abandoned, so the texter's next message starts a new conversation.
 */
export async function sweepAbandonedSmsConversations(deps: RecoveryDeps, options: { idleMs: number; held?: SpooledSessions }): Promise<number> {
  const claim = (em: EntityManager) =>
    deps.repos.sessions.claimIdle(em, {
      channel: 'sms',
      settledPhases: SETTLED_SMS_PHASES,
      idleMs: options.idleMs,
      limit: SWEEP_BATCH,
      excludeKeys: options.held?.heldKeys() ?? [],
    });
  return sweepIdle(deps, claim, async (row) => {
    if (options.held?.holds(row.sessionKey) === true) return null;
    const state = readSmsState(row.state);
    const leadId = leadIdOf(state.leadId);
    const extraction = extractOffline({ callerPhone: state.phone ?? row.sessionKey, turns: state.transcript ?? [] }, new Date(), deps.refusedStates);
    const refusal = refusalFor(extraction, { context: SMS_ABANDONED_REASON });
    deps.logger.info({ leadId, sessionId: row.id, complete: extraction.complete }, 'abandoned sms conversation saved as a lead');
    return {
      id: leadId,
      channel: 'sms',
      externalId: `sms:${leadId}`,
      lead: extraction.lead,
      ...(refusal === undefined ? {} : { refusal }),
      sessionKey: row.sessionKey,
      sessionState: { phase: 'abandoned', machine: null, abandonedAt: new Date().toISOString() },
    };
  });
}

/**
 * One sweep: locks a batch of sessions with `claim` (SKIP LOCKED) and hands the lead `rebuild` makes of each (null:
 * leave it) to the intake, in the same transaction. Returns how many were rebuilt.
 */
async function sweepIdle(
  deps: RecoveryDeps,
  claim: (em: EntityManager) => Promise<IdleSession[]>,
  rebuild: (row: IdleSession, em: EntityManager) => Promise<LeadSubmission | null>,
): Promise<number> {
  let rebuilt = 0;
  await deps.repos.db.em().transactional(async (em) => {
    for (const row of await claim(em)) {
      const submission = await rebuild(row, em);
      if (submission === null) continue;
      await deps.intake.accept(submission, em);
      rebuilt++;
    }
  });
  return rebuilt;
}

/** The lead id the session already chose (so a queued lead is not queued twice), or a new one. */
function leadIdOf(stored: string | undefined): string {
  return stored !== undefined && isUuid(stored) ? stored : randomUUID();
}
