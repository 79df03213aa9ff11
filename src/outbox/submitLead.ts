import { randomUUID } from 'node:crypto';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Database } from '../db/orm.js';
import type { Channel } from '../db/entities/index.js';
import { LeadOutbox, type LeadState } from './leadOutbox.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead } from '../leads/lead.js';
import type { LeadStore } from '../db/leadStore.js';
import type { NpaClient } from '../npa/npaClient.js';
import { describeProblems, normalizeZip } from '../leads/normalize.js';

/** What submission needs: the database, the store over it, the NPA client, a logger. */
export interface LeadPipelineDeps {
  db: Database;
  store: LeadStore;
  npa: NpaClient;
  logger: Logger;
  /** The app's outbox (its attempt budget, backoff, lease); without it, one with the defaults is used. */
  outbox?: LeadOutbox;
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
  /** The lead is in the outbox, not finished: a worker sends it later (the outcome then lands in the session). */
  pending?: true;
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

/** The outbox the pipeline sends through: the app's own (shared options), or one with the defaults. */
export function outboxOf(deps: LeadPipelineDeps): LeadOutbox {
  return deps.outbox ?? new LeadOutbox(deps);
}

/** Why the lead must not be sent (incomplete extraction, a failure before submission), or undefined. */
export function refusalOf(input: Pick<SubmitLeadInput, 'extraction' | 'failureReason'>): string | undefined {
  const problems = input.extraction.complete ? undefined : describeProblems(input.extraction);
  const refusal = [input.failureReason, problems].filter((r): r is string => Boolean(r)).join('; ');
  return refusal === '' ? undefined : refusal;
}

/**
 * Makes the lead durable, then sends it. A complete lead is written to the outbox (`pending`) before the NPA API
 * is called, and this process sends it at once (or waits for the worker that holds it); an incomplete lead (or one
 * with a `failureReason`) goes straight to failed_leads and is never sent. The lead id is the Idempotency-Key.
 * `pending` in the outcome means the lead is safely in the outbox and a worker will finish it (a retryable NPA
 * failure with passes left, the deadline, or the outcome could not be recorded yet).
 */
export async function submitLead(deps: LeadPipelineDeps, input: SubmitLeadInput): Promise<SubmitLeadOutcome> {
  const leadId = input.leadId ?? randomUUID();
  const outbox = outboxOf(deps);
  const refusal = refusalOf(input);
  const accepted = await outbox.accept({
    id: leadId,
    lead: input.extraction.lead,
    channel: input.channel,
    sessionId: input.sessionId,
    externalId: input.externalId,
    ...(refusal === undefined ? {} : { refusal }),
  });
  if (refusal !== undefined) {
    deps.logger.child({ leadId, channel: input.channel }).info(
      { missing: input.extraction.missing, errors: input.extraction.errors },
      'lead not sent; saved as failed',
    );
  }
  if (accepted.status !== 'pending') return outcomeOf(leadId, accepted);
  let state: LeadState;
  try {
    state = await outbox.process(leadId, input.signal);
  } catch (error) {
    // NPA may have taken it; the outcome could not be written. The lease expires and a worker repeats the pass
    // under the same key, so NPA still holds it once.
    state = { status: 'pending', attempts: 1, lastError: `could not record the outcome: ${reasonOf(error)}` };
  }
  return outcomeOf(leadId, state);
}

/** A lead state as the submission outcome the call machine and the CLI report. */
export function outcomeOf(leadId: string, state: LeadState): SubmitLeadOutcome {
  switch (state.status) {
    case 'succeeded':
      return { outcome: 'succeeded', leadId };
    case 'failed':
      return { outcome: 'failed', leadId, reason: state.reason };
    case 'pending':
      return {
        outcome: 'failed',
        leadId,
        pending: true,
        reason: `submission pending: ${state.lastError ?? 'not sent yet'}; the outbox will retry it`,
      };
    case 'absent':
      return { outcome: 'failed', leadId, reason: 'lead not recorded' };
  }
}
