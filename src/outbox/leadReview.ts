import { BadInputError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { LEAD_FIELDS, type Lead, type LeadField, type RawLead } from '../leads/lead.js';
import { normalizeLead } from '../leads/normalize.js';
import { describeProblems } from '../leads/problems.js';
import type { DecisionRecord } from '../db/decisionRepository.js';
import { callerPhoneIn } from '../db/entities/sessionState.js';
import { lockLead } from '../db/leadLock.js';
import type { Repositories } from '../db/repositories.js';
import { readVerdicts } from '../extraction/decisionSchema.js';
import type { LeadOutbox, LeadState } from './leadOutbox.js';

export interface ReviewDeps {
  repos: Repositories;
  outbox: LeadOutbox;
  logger: Logger;
}

/** What a person decided: values for fields (raw, as typed), who they are, and for a rejection why. */
export interface ApproveInput {
  id: string;
  set: Partial<Record<LeadField, string>>;
  by: string;
}

/** A review decision that cannot be taken, with why: nothing changed. */
export class ReviewError extends BadInputError {}

/** The lead in review, or why it is not (not found, already decided). */
async function openReview(deps: ReviewDeps, em: Parameters<Repositories['decisions']['lock']>[0], id: string): Promise<DecisionRecord> {
  const decision = await deps.repos.decisions.lock(em, id);
  if (decision === null || decision.review === 'none') throw new NotFoundError(`no lead in review with id ${id}`);
  if (decision.review === 'approved' || decision.review === 'rejected') {
    throw new ReviewError(`lead ${id} was already ${decision.review}${decision.decidedBy ? ` by ${decision.decidedBy}` : ''}`);
  }
  return decision;
}

/**
 * The lead as approved: the decided values with the person's `--set` values, each through the normalizer like any
 * lead. Refuses (ReviewError) a disputed field left without a value of the person's, and a lead that is still not
 * sendable (missing or invalid fields).
 */
export function approvedLead(
  decision: Pick<DecisionRecord, 'leadData' | 'disputed'>,
  set: ApproveInput['set'],
  callerPhone: string | null,
  refusedStates?: readonly string[],
): Lead {
  const unknown = Object.keys(set).filter((f) => !(LEAD_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new ReviewError(`unknown field ${unknown.join(', ')} (fields: ${LEAD_FIELDS.join(', ')})`);
  const unset = decision.disputed.filter((f) => set[f] === undefined);
  if (unset.length > 0) throw new ReviewError(`disputed with no majority: ${unset.join(', ')}; give each a value with --set field=value`);
  const raw = Object.fromEntries(
    LEAD_FIELDS.map((f) => {
      const value = set[f] ?? decision.leadData[f];
      return [f, value === null ? null : String(value)];
    }),
  ) as RawLead;
  const result = normalizeLead(raw, { callerPhone, ...(refusedStates ? { refusedStates } : {}) });
  // A value the person typed that the normalizer cannot take is refused, not dropped.
  const refusedSets = (Object.keys(set) as LeadField[]).filter((f) => result.lead[f] === null || result.errors.includes(f));
  if (refusedSets.length > 0) {
    throw new ReviewError(`not a valid value for ${refusedSets.join(', ')}: ${refusedSets.map((f) => result.reasons[f] ?? 'not understood').join('; ')}`);
  }
  if (!result.complete) throw new ReviewError(`the lead still cannot be sent: ${describeProblems(result)}`);
  return result.lead;
}

/**
 * Approves a lead held for review (and sends it now unless `sendNow` is false): the values are decided (disputed fields need the person's value), and the lead
 * goes into the outbox under its own id in the same transaction that records the decision, so it is sent exactly
 * once (by `deliver`, or by any server's worker). A lead sent flagged (REVIEW_POLICY=send) is only acknowledged: it
 * is already at the NPA API, and changing its values there is not something a resend could do.
 */
export async function approveReview(
  deps: ReviewDeps,
  input: ApproveInput,
  options: { sendNow?: boolean; refusedStates?: readonly string[] } = {},
): Promise<{ lead: Lead; state: LeadState; sent: boolean }> {
  const { repos, outbox } = deps;
  const result = await repos.db.em().transactional(async (em) => {
    await lockLead(em, input.id);
    const decision = await openReview(deps, em, input.id);
    if (decision.review === 'sent') {
      if (Object.keys(input.set).length > 0) {
        throw new ReviewError(`lead ${input.id} was already sent with its majority values (REVIEW_POLICY=send); --set cannot change what the NPA API holds`);
      }
      await repos.decisions.decide(em, input.id, { review: 'approved', note: null, by: input.by });
      await repos.audit.record({ operator: input.by, action: 'review.approve', leadId: input.id, detail: { set: {}, sent: false } }, em);
      return { lead: decision.leadData, sent: false };
    }
    const session = decision.sessionId === null ? null : await repos.sessions.get(decision.sessionId);
    const callerPhone = callerPhoneIn(session?.state);
    const lead = approvedLead(decision, input.set, callerPhone, options.refusedStates);
    await repos.decisions.decide(em, input.id, { review: 'approved', lead, note: null, by: input.by });
    await repos.outbox.insertPending(
      em,
      { id: input.id, lead, channel: decision.channel, sessionId: decision.sessionId, externalId: decision.externalId },
      outbox.maxAttempts,
    );
    if (decision.sessionId !== null) {
      await repos.sessions.patch(decision.sessionId, { outcome: 'pending', leadId: input.id, reason: null, externalId: decision.externalId }, em);
    }
    // Audited with the decision: an edit records the values the person gave.
    const edited = Object.keys(input.set).length > 0;
    await repos.audit.record({ operator: input.by, action: edited ? 'review.edit' : 'review.approve', leadId: input.id, detail: { set: input.set, sent: true } }, em);
    return { lead, sent: true };
  });
  deps.logger.info({ leadId: input.id, fields: Object.keys(input.set) }, 'lead approved in review');
  if (!result.sent) return { lead: result.lead, state: await outbox.state(input.id), sent: false };
  // Without a way to the NPA API here (a CLI with no NPA_API_URL), the server's outbox worker sends it.
  if (options.sendNow === false) return { lead: result.lead, state: await outbox.state(input.id), sent: true };
  return { lead: result.lead, state: await outbox.process(input.id), sent: true };
}

/** Rejects a lead held for review: it becomes a failed lead with the person's reason, never sent. */
export async function rejectReview(deps: ReviewDeps, input: { id: string; reason: string; by: string }): Promise<LeadState> {
  const reason = input.reason.trim();
  if (reason === '') throw new ReviewError('a rejection needs --reason TEXT');
  const { repos } = deps;
  const why = `rejected in review: ${reason}`;
  await repos.db.em().transactional(async (em) => {
    await lockLead(em, input.id);
    const decision = await openReview(deps, em, input.id);
    if (decision.review === 'sent') throw new ReviewError(`lead ${input.id} was already sent (REVIEW_POLICY=send); it cannot be rejected now`);
    await repos.failed.insert(em, {
      id: input.id,
      lead: decision.leadData,
      reason: why,
      channel: decision.channel,
      sessionId: decision.sessionId,
      attempts: 0,
    });
    await repos.decisions.decide(em, input.id, { review: 'rejected', note: reason, by: input.by });
    await repos.audit.record({ operator: input.by, action: 'review.reject', leadId: input.id, detail: { reason } }, em);
    if (decision.sessionId !== null) await repos.sessions.patch(decision.sessionId, { outcome: 'failed', leadId: input.id, reason: why }, em);
  });
  deps.logger.info({ leadId: input.id }, 'lead rejected in review');
  return { status: 'failed', reason: why };
}

/** Per disputed field, each witness's value (what `leads review list --json` shows as candidates). */
export function candidatesOf(decision: Pick<DecisionRecord, 'fields' | 'disputed'>): Partial<Record<LeadField, Record<string, unknown>>> {
  const verdicts = readVerdicts(decision.fields);
  return Object.fromEntries(decision.disputed.map((f) => [f, verdicts?.[f]?.witnesses ?? {}]));
}
