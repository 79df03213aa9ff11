import { reasonOf } from '../errors.js';
import { FailedLeadSchema, SucceededLeadSchema } from '../db/entities/index.js';
import type { FailedLeadRecord } from './leadStore.js';
import { NpaSubmitError } from './npaClient.js';
import { leadProblems, type LeadPipelineDeps } from './submitLead.js';

/**
 * What became of one retry: 'succeeded' (now in succeeded_leads, failed row resolved), 'failed' (still failed,
 * attempts bumped), 'refused' (incomplete and not forced: not sent), 'already-resolved', 'not-found'.
 */
export interface RetryOutcome {
  id: string;
  outcome: 'succeeded' | 'failed' | 'refused' | 'already-resolved' | 'not-found';
  reason?: string;
}

export interface RetryOptions {
  /** Send an incomplete lead anyway (the operator has decided NPA should see it as it is). */
  force?: boolean;
  signal?: AbortSignal;
}

/**
 * Resubmits one failed lead with its own id as the Idempotency-Key, so NPA records it once however often it is
 * retried. Success writes the succeeded lead and resolves the failed one in one transaction; failure bumps
 * attempts, last_attempt_at and error_message.
 */
export async function retryFailedLead(deps: LeadPipelineDeps, id: string, options: RetryOptions = {}): Promise<RetryOutcome> {
  const failed = await deps.store.getFailed(id);
  if (!failed) return { id, outcome: 'not-found', reason: `no failed lead with id ${id}` };
  return retryRecord(deps, failed, options);
}

/** Retries every unresolved failed lead, oldest first, one at a time. */
export async function retryAllFailedLeads(deps: LeadPipelineDeps, options: RetryOptions = {}): Promise<RetryOutcome[]> {
  const unresolved = (await deps.store.listFailed()).reverse();
  const outcomes: RetryOutcome[] = [];
  for (const failed of unresolved) {
    if (options.signal?.aborted) break;
    outcomes.push(await retryRecord(deps, failed, options));
  }
  return outcomes;
}

async function retryRecord(deps: LeadPipelineDeps, failed: FailedLeadRecord, options: RetryOptions): Promise<RetryOutcome> {
  const { id } = failed;
  const logger = deps.logger.child({ leadId: id });
  if (failed.resolvedAt !== null) {
    return { id, outcome: 'already-resolved', reason: `already resolved at ${failed.resolvedAt.toISOString()}` };
  }
  const problems = leadProblems(failed.leadData);
  if (problems !== undefined && !options.force) {
    return { id, outcome: 'refused', reason: `lead is incomplete: ${problems} (use --force to send it anyway)` };
  }
  const externalId = await externalIdOf(deps, failed);

  let response: Awaited<ReturnType<LeadPipelineDeps['npa']['submit']>>;
  try {
    response = await deps.npa.submit(failed.leadData, {
      channel: failed.channel,
      externalId,
      idempotencyKey: id,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    const reason = reasonOf(error);
    const attempts = error instanceof NpaSubmitError ? error.attempts : 1;
    await deps.db.em().nativeUpdate(
      FailedLeadSchema,
      { id },
      { attempts: failed.attempts + attempts, lastAttemptAt: new Date(), errorMessage: reason },
    );
    logger.warn({ reason, attempts }, 'failed lead retry failed');
    return { id, outcome: 'failed', reason };
  }

  const resolved = await deps.db.em().transactional(async (em) => {
    const now = new Date();
    // Only the retry that flips resolved_at writes the succeeded row: a concurrent retry of the same lead
    // (same Idempotency-Key, so NPA holds it once) finds it resolved and writes nothing.
    const updated = await em.nativeUpdate(
      FailedLeadSchema,
      { id, resolvedAt: null },
      { resolvedAt: now, lastAttemptAt: now, attempts: failed.attempts + response.attempts },
    );
    if (updated === 0) return false;
    em.create(SucceededLeadSchema, {
      id,
      leadData: failed.leadData,
      channel: failed.channel,
      session: failed.sessionId,
      npaResponse: response.body,
      createdAt: now,
    });
    if (failed.sessionId !== null) {
      await deps.store.updateSessionState(failed.sessionId, { outcome: 'succeeded', leadId: id, reason: null, resolvedAt: now.toISOString() }, em);
    }
    return true;
  });
  if (!resolved) return { id, outcome: 'already-resolved', reason: 'resolved by a concurrent retry' };
  logger.info({ attempts: response.attempts }, 'failed lead resubmitted');
  return { id, outcome: 'succeeded' };
}

/** The external_id the lead was first sent with: recorded in its session's state, else the session key, else its id. */
async function externalIdOf(deps: LeadPipelineDeps, failed: FailedLeadRecord): Promise<string> {
  if (failed.sessionId === null) return failed.id;
  const session = await deps.store.getSession(failed.sessionId);
  const recorded = session?.state['externalId'];
  if (typeof recorded === 'string') return recorded;
  return session?.sessionKey ?? failed.id;
}
