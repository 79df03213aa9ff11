import { randomUUID } from 'node:crypto';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Database } from '../db/orm.js';
import { FailedLeadSchema, SucceededLeadSchema, type Channel } from '../db/entities/index.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead } from './lead.js';
import type { LeadStore } from './leadStore.js';
import { NpaSubmitError, type NpaClient } from './npaClient.js';
import { describeProblems, normalizeZip } from './normalize.js';

/** What submission needs: the database, the store over it, the NPA client, a logger. */
export interface LeadPipelineDeps {
  db: Database;
  store: LeadStore;
  npa: NpaClient;
  logger: Logger;
}

export interface SubmitLeadInput {
  /** The conversation session to record the outcome on; null when there is none. */
  sessionId: string | null;
  channel: Channel;
  /** Our reference sent to NPA as external_id (the CallSid for a call). */
  externalId: string;
  extraction: ExtractionResult;
  /** The lead's id when the caller fixed it in advance (a call does, so a retry after a crash keeps its key). */
  leadId?: string;
  /** Set when the lead must not be sent (e.g. extraction failed): saved as failed with this reason. */
  failureReason?: string;
  signal?: AbortSignal;
}

export interface SubmitLeadOutcome {
  outcome: 'succeeded' | 'failed';
  leadId: string;
  reason?: string;
}

/** The fields of a lead still null: a lead missing any of them is not sent to NPA. */
export function missingFields(lead: Lead): string[] {
  return LEAD_FIELDS.filter((field) => lead[field] === null);
}

/**
 * Why a stored lead should not go to NPA as it is ("missing vehicle_year, vehicle_make"; an Alaska ZIP), or
 * undefined when it may. Stored leads keep only values, so the rules that can refuse a present value are re-checked.
 */
export function leadProblems(lead: Lead): string | undefined {
  const parts: string[] = [];
  const missing = missingFields(lead);
  if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
  const zip = lead.zip_code === null ? undefined : normalizeZip(lead.zip_code);
  if (zip?.invalid) parts.push(`invalid zip_code (${zip.reason ?? 'not accepted'})`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Sends a complete lead to NPA and records the result: exactly one succeeded_leads or failed_leads row, written in
 * the same transaction as the session's state update. An incomplete lead (or one with a `failureReason`) is not
 * sent; it is saved as failed with a readable reason. The lead id doubles as the Idempotency-Key.
 */
export async function submitLead(deps: LeadPipelineDeps, input: SubmitLeadInput): Promise<SubmitLeadOutcome> {
  const leadId = input.leadId ?? randomUUID();
  const { lead } = input.extraction;
  const logger = deps.logger.child({ leadId, channel: input.channel });
  const problems = input.extraction.complete ? undefined : describeProblems(input.extraction);
  const refusal = [input.failureReason, problems].filter((r): r is string => Boolean(r)).join('; ');

  if (refusal !== '') {
    await recordFailed(deps, input, leadId, { reason: refusal, attempts: 0 });
    logger.info({ missing: input.extraction.missing, errors: input.extraction.errors }, 'lead not sent; saved as failed');
    return { outcome: 'failed', leadId, reason: refusal };
  }

  let response: Awaited<ReturnType<NpaClient['submit']>>;
  try {
    response = await deps.npa.submit(lead, {
      channel: input.channel,
      externalId: input.externalId,
      idempotencyKey: leadId,
      ...(input.signal ? { signal: input.signal } : {}),
    });
  } catch (error) {
    const reason = reasonOf(error);
    const attempts = error instanceof NpaSubmitError ? error.attempts : 1;
    await recordFailed(deps, input, leadId, { reason, attempts });
    logger.warn({ reason, attempts }, 'lead submission failed; saved as failed');
    return { outcome: 'failed', leadId, reason };
  }

  await deps.db.em().transactional(async (em) => {
    if (input.sessionId !== null) {
      await deps.store.updateSessionState(
        input.sessionId,
        { outcome: 'succeeded', leadId, reason: null, externalId: input.externalId, submittedAt: new Date().toISOString() },
        em,
      );
    }
    em.create(SucceededLeadSchema, {
      id: leadId,
      leadData: lead,
      channel: input.channel,
      session: input.sessionId,
      npaResponse: response.body,
    });
  });
  logger.info({ attempts: response.attempts }, 'lead submitted');
  return { outcome: 'succeeded', leadId };
}

async function recordFailed(
  deps: LeadPipelineDeps,
  input: SubmitLeadInput,
  leadId: string,
  failure: { reason: string; attempts: number },
): Promise<void> {
  const now = new Date();
  await deps.db.em().transactional(async (em) => {
    if (input.sessionId !== null) {
      await deps.store.updateSessionState(
        input.sessionId,
        { outcome: 'failed', leadId, reason: failure.reason, externalId: input.externalId, submittedAt: now.toISOString() },
        em,
      );
    }
    em.create(FailedLeadSchema, {
      id: leadId,
      leadData: input.extraction.lead,
      errorMessage: failure.reason,
      channel: input.channel,
      session: input.sessionId,
      attempts: failure.attempts,
      lastAttemptAt: failure.attempts > 0 ? now : null,
      resolvedAt: null,
      createdAt: now,
    });
  });
}
