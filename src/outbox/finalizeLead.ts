import type { OutboxRow } from '../db/outboxRepository.js';
import type { Repositories } from '../db/repositories.js';
import type { NpaSubmitResult } from '../npa/npaClient.js';
import { leadStateIn, type LeadState } from './leadState.js';

/**
 * NPA took the lead: in one transaction the outbox row is finished, the succeeded row written, a retried failed
 * lead resolved and the session's outcome set. If another pass finished the row first, where it stands.
 */
export function finalizeSucceeded(repos: Repositories, row: OutboxRow, response: NpaSubmitResult): Promise<LeadState> {
  return repos.db.em().transactional(async (em) => {
    const finished = await repos.outbox.finish(em, row.id, { status: 'succeeded', npaAttempts: response.attempts, lastError: null });
    // Another pass (after our claim was taken over) finished it first; NPA holds it once under the same key.
    if (!finished) return leadStateIn(repos, em, row.id);
    await repos.succeeded.insert(em, {
      id: row.id,
      lead: row.lead_data,
      channel: row.channel,
      sessionId: row.session_id,
      npaResponse: response.body,
    });
    // A retried failed lead is resolved.
    await repos.failed.resolve(em, row.id, row.npa_attempts + response.attempts);
    if (row.session_id !== null) {
      const now = new Date().toISOString();
      await repos.sessions.patch(
        row.session_id,
        row.kind === 'retry'
          ? { outcome: 'succeeded', leadId: row.id, reason: null, resolvedAt: now }
          : { outcome: 'succeeded', leadId: row.id, reason: null, externalId: row.external_id, submittedAt: now },
        em,
      );
    }
    return { status: 'succeeded' } as const;
  });
}

/**
 * The lead failed for good: in one transaction the outbox row is finished and the failed row written (or a
 * retried one's attempts bumped), with the session's outcome. If another pass finished the row first, where it stands.
 */
export function finalizeFailed(repos: Repositories, row: OutboxRow, reason: string, npaAttempts: number): Promise<LeadState> {
  return repos.db.em().transactional(async (em) => {
    const finished = await repos.outbox.finish(em, row.id, { status: 'failed', npaAttempts, lastError: reason });
    if (!finished) return leadStateIn(repos, em, row.id);
    const total = row.npa_attempts + npaAttempts;
    if (row.kind === 'retry') {
      await repos.failed.recordRetryFailure(em, row.id, total, reason);
      return { status: 'failed', reason } as const;
    }
    await repos.failed.recordFinalFailure(em, {
      id: row.id,
      lead: row.lead_data,
      reason,
      channel: row.channel,
      sessionId: row.session_id,
      attempts: total,
    });
    if (row.session_id !== null) {
      await repos.sessions.patch(
        row.session_id,
        { outcome: 'failed', leadId: row.id, reason, externalId: row.external_id, submittedAt: new Date().toISOString() },
        em,
      );
    }
    return { status: 'failed', reason } as const;
  });
}
