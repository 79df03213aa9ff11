import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import { leadProblems } from '../leads/problems.js';
import type { FailedLeadRecord } from '../db/failedLeadRepository.js';
import type { Repositories } from '../db/repositories.js';
import { readVoiceState } from '../db/entities/sessionState.js';
import type { LeadOutbox, LeadState } from './leadOutbox.js';

export interface RetryDeps {
  repos: Repositories;
  outbox: LeadOutbox;
  logger: Logger;
}

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
  /** The person retrying (an operator, or the CLI's user): the retry and its outcome go into the audit log. */
  by?: string;
  signal?: AbortSignal;
}

/**
 * Resubmits one failed lead through the outbox with its own id as the Idempotency-Key, so NPA records it once
 * however often it is retried. Success writes the succeeded lead and resolves the failed one in one transaction;
 * failure bumps attempts, last_attempt_at and error_message.
 */
export async function retryFailedLead(deps: RetryDeps, id: string, options: RetryOptions = {}): Promise<RetryOutcome> {
  const failed = await deps.repos.failed.get(id);
  if (!failed) return { id, outcome: 'not-found', reason: 'no failed lead with this id' };
  return audited(deps, options, await retryRecord(deps, failed, options));
}

/** A person's retry goes into the audit log with what came of it (a system retry, the voicemail's, does not). */
async function audited(deps: RetryDeps, options: RetryOptions, outcome: RetryOutcome): Promise<RetryOutcome> {
  if (options.by === undefined) return outcome;
  await deps.repos.audit.record({
    operator: options.by,
    action: 'lead.retry',
    leadId: outcome.id,
    detail: { force: options.force === true, outcome: outcome.outcome, ...(outcome.reason === undefined ? {} : { reason: outcome.reason }) },
  });
  return outcome;
}

/** Retries every unresolved failed lead, oldest first, one at a time. */
export async function retryAllFailedLeads(deps: RetryDeps, options: RetryOptions = {}): Promise<RetryOutcome[]> {
  const unresolved = (await deps.repos.failed.list()).reverse();
  const outcomes: RetryOutcome[] = [];
  for (const failed of unresolved) {
    if (options.signal?.aborted) break;
    outcomes.push(await audited(deps, options, await retryRecord(deps, failed, options)));
  }
  return outcomes;
}

async function retryRecord(deps: RetryDeps, failed: FailedLeadRecord, options: RetryOptions): Promise<RetryOutcome> {
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

  // Through the outbox, like every submission: one pass under the lead's own id, so the key, the lease and the
  // finalizing transaction are the same as the worker's, and a server's worker and this command never both send it.
  const { outbox } = deps;
  await outbox.enqueueRetry({ id, lead: failed.leadData, channel: failed.channel, sessionId: failed.sessionId, externalId });
  let state: LeadState;
  try {
    state = await outbox.process(id, options.signal);
  } catch (error) {
    return { id, outcome: 'failed', reason: `could not record the outcome: ${reasonOf(error)}` };
  }
  if (state.status === 'succeeded') {
    logger.info('failed lead resubmitted');
    return { id, outcome: 'succeeded' };
  }
  if (state.status === 'failed') {
    logger.warn({ reason: state.reason }, 'failed lead retry failed');
    return { id, outcome: 'failed', reason: state.reason };
  }
  return { id, outcome: 'failed', reason: `still pending: ${state.status === 'pending' ? (state.lastError ?? 'not sent') : 'not recorded'}` };
}

/** The external_id the lead was first sent with: recorded in its session's state, else the session key, else its id. */
async function externalIdOf(deps: RetryDeps, failed: FailedLeadRecord): Promise<string> {
  if (failed.sessionId === null) return failed.id;
  const session = await deps.repos.sessions.get(failed.sessionId);
  const recorded = readVoiceState(session?.state).externalId;
  if (recorded !== undefined) return recorded;
  return session?.sessionKey ?? failed.id;
}
