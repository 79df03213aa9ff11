import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Database } from '../db/orm.js';
import { LeadSchema, TurnSchema, type ExtractionResult } from '../leads/lead.js';
import { isUuid, type LeadStore } from '../db/leadStore.js';
import { describeProblems } from '../leads/normalize.js';
import { extractOffline } from '../extraction/offline/extractOffline.js';
import type { LeadOutbox } from './leadOutbox.js';

export const RECOVERY_REASON = 'recovered after a server restart';
/** Phases a call's session ends in; anything else was left by a process that died mid-call. */
const FINAL_PHASES = ['saved-success', 'saved-failure', 'recovered'];
const SWEEP_BATCH = 20;

const StoredCallState = z.object({
  callerPhone: z.string().nullable().optional(),
  leadId: z.string().optional(),
  transcript: z.array(TurnSchema).optional().catch([]),
  fields: LeadSchema.optional().catch(undefined),
  extraction: z.object({ complete: z.boolean() }).partial().passthrough().nullable().optional().catch(undefined),
});

export interface RecoveryDeps {
  db: Database;
  store: LeadStore;
  outbox: LeadOutbox;
  logger: Logger;
}

/**
 * Turns voice sessions abandoned by a dead process into leads. A session counts as abandoned when its phase is not
 * final, it has not been written for `graceMs` (live calls write their transcript and a heartbeat), and it is not a
 * call live in this process. Its stored transcript is read by the offline extractor (or the fields an extraction
 * already stored are used) and the lead goes through the outbox under the call's own lead id, so a lead the dead
 * process had already queued is not queued twice. Rows are claimed with SKIP LOCKED: instances sweep side by side.
 */
export async function sweepAbandonedCalls(
  deps: RecoveryDeps,
  options: { graceMs: number; isLive: (sessionKey: string) => boolean },
): Promise<number> {
  let recovered = 0;
  await deps.db.em().transactional(async (em) => {
    for (const row of await claimIdleSessions(em, 'voice', FINAL_PHASES, options.graceMs)) {
      if (options.isLive(row.session_key)) continue;
      const stored = StoredCallState.safeParse(row.state);
      const state = stored.success ? stored.data : { transcript: [] };
      const leadId = leadIdOf(state.leadId);
      const extraction = leadOf(state);
      const problems = extraction.complete ? undefined : describeProblems(extraction);
      await deps.outbox.accept(
        {
          id: leadId,
          lead: extraction.lead,
          channel: 'voice',
          sessionId: row.id,
          externalId: row.session_key,
          ...(problems === undefined ? {} : { refusal: `${RECOVERY_REASON}; ${problems}` }),
        },
        em,
      );
      await deps.store.updateSessionState(
        row.id,
        { phase: 'recovered', recovery: { reason: RECOVERY_REASON, at: new Date().toISOString(), fromPhase: row.state['phase'] ?? null } },
        em,
      );
      deps.logger.warn({ leadId, sessionId: row.id, complete: extraction.complete }, 'abandoned call recovered into a lead');
      recovered++;
    }
  });
  return recovered;
}

/** The fields an extraction stored when it was complete; otherwise the offline reading of the stored transcript. */
function leadOf(state: z.infer<typeof StoredCallState>): ExtractionResult {
  if (state.fields && state.extraction?.complete === true) {
    return { lead: state.fields, complete: true, errors: [], missing: [], reasons: {} };
  }
  return extractOffline({ callerPhone: state.callerPhone ?? null, turns: state.transcript ?? [] });
}

export const SMS_ABANDONED_REASON = 'incomplete: the texter stopped replying';
const SMS_SETTLED_PHASES = ['done', 'abandoned'];

const StoredSmsState = z.object({
  phone: z.string().optional(),
  leadId: z.string().optional(),
  transcript: z.array(TurnSchema).optional().catch([]),
});

/**
 * Turns SMS conversations nobody has answered for `idleMs` into leads, so what a texter gave is never lost: the
 * transcript is read by the offline extractor; a complete lead is sent, an incomplete one is saved as failed with
 * the reason. The session is marked abandoned, so the texter's next message starts a new conversation.
 */
export async function sweepAbandonedSmsConversations(deps: RecoveryDeps, options: { idleMs: number }): Promise<number> {
  let recovered = 0;
  await deps.db.em().transactional(async (em) => {
    for (const row of await claimIdleSessions(em, 'sms', SMS_SETTLED_PHASES, options.idleMs)) {
      const stored = StoredSmsState.safeParse(row.state);
      const state = stored.success ? stored.data : { transcript: [] };
      const leadId = leadIdOf(state.leadId);
      const extraction = extractOffline({ callerPhone: state.phone ?? row.session_key, turns: state.transcript ?? [] });
      const problems = extraction.complete ? undefined : describeProblems(extraction);
      await deps.outbox.accept(
        {
          id: leadId,
          lead: extraction.lead,
          channel: 'sms',
          sessionId: row.id,
          externalId: `sms:${leadId}`,
          ...(problems === undefined ? {} : { refusal: `${SMS_ABANDONED_REASON}; ${problems}` }),
        },
        em,
      );
      await deps.store.updateSessionState(
        row.id,
        { phase: 'abandoned', machine: null, abandonedAt: new Date().toISOString() },
        em,
      );
      deps.logger.info({ leadId, sessionId: row.id, complete: extraction.complete }, 'abandoned sms conversation saved as a lead');
      recovered++;
    }
  });
  return recovered;
}

interface IdleSession {
  id: string;
  session_key: string;
  state: Record<string, unknown>;
}

/**
 * Locks a batch of `channel` sessions not in a settled phase and not written for `idleMs`; SKIP LOCKED lets several
 * instances sweep side by side without taking the same session.
 */
function claimIdleSessions(
  em: EntityManager,
  channel: 'voice' | 'sms',
  settledPhases: readonly string[],
  idleMs: number,
): Promise<IdleSession[]> {
  return em.execute<IdleSession[]>(
    `select id, session_key, state from conversation_sessions
     where channel = ? and coalesce(state->>'phase', '') not in (${settledPhases.map(() => '?').join(', ')})
       and updated_at < now() - (? * interval '1 millisecond')
     order by updated_at limit ? for update skip locked`,
    [channel, ...settledPhases, idleMs, SWEEP_BATCH],
  );
}

/** The lead id the session already chose (so a queued lead is not queued twice), or a new one. */
function leadIdOf(stored: string | undefined): string {
  return stored !== undefined && isUuid(stored) ? stored : randomUUID();
}
