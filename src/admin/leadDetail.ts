import type { Channel, Lead } from '../leads/lead.js';
import type { ConversationQueries, OutboxRecord } from '../db/conversationQueries.js';
import type { FailedRetry } from '../db/entities/index.js';
import type { Repositories } from '../db/repositories.js';
import { npaPayload } from '../npa/npaClient.js';
import { leadStateIn, type LeadState } from '../outbox/leadState.js';
import { fieldVotes, type FieldVote } from './fieldVotes.js';

/** The request the NPA API is sent for the lead (rebuilt from the lead as the outbox sends it; no credentials). */
export interface NpaRequestView {
  method: 'POST';
  path: '/leads';
  /** The lead's id: the same on every attempt and every retry. */
  idempotencyKey: string;
  body: Record<string, unknown>;
  /** Whether it went (or is going) to the API: false for a lead refused before sending, or held for review. */
  sent: boolean;
}

/** What the NPA API answered, as far as the lead's rows tell. */
export type NpaAnswer =
  | { kind: 'accepted'; at: string; response: Record<string, unknown> }
  | { kind: 'failed'; at: string | null; error: string; attempts: number; resolvedAt: string | null }
  /** Refused before sending (an incomplete lead, a refused ZIP code, a rejection in review). */
  | { kind: 'not-sent'; reason: string }
  | { kind: 'pending'; lastError: string | null; nextAttemptAt: string };

/** The lead's outbox row with its times as ISO strings. */
export type OutboxView = Omit<OutboxRecord, 'lead' | 'createdAt' | 'updatedAt' | 'nextAttemptAt' | 'lockedUntil' | 'finishedAt'> & {
  createdAt: string;
  updatedAt: string;
  nextAttemptAt: string;
  lockedUntil: string | null;
  finishedAt: string | null;
};

export interface LeadDetail {
  leadId: string;
  /** Where the lead stands (the outbox's own rule, src/outbox/leadState.ts); `absent`: nothing stored under the id. */
  status: LeadState['status'];
  channel: Channel | null;
  /** Our reference sent as external_id. */
  externalId: string | null;
  /** The lead's values as they stand: delivered, queued, failed, or decided. */
  data: Lead | null;
  decision: {
    review: string;
    reasked: boolean;
    disputed: string[];
    reviewNote: string | null;
    decidedBy: string | null;
    decidedAt: string | null;
    createdAt: string;
  } | null;
  /** How each field was decided from its witnesses; empty when no witness record was kept. */
  votes: FieldVote[];
  succeeded: { createdAt: string } | null;
  failed: { reason: string; attempts: number; lastAttemptAt: string | null; resolvedAt: string | null; createdAt: string } | null;
  npa: { request: NpaRequestView | null; answer: NpaAnswer | null };
  /** The delivery: the outbox row, and each retry (`leads failed retry`) that failed again, oldest first. */
  outbox: { row: OutboxView | null; retries: FailedRetry[] };
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

function outboxView(row: OutboxRecord): OutboxView {
  const { lead: _lead, createdAt, updatedAt, nextAttemptAt, lockedUntil, finishedAt, ...rest } = row;
  return {
    ...rest,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    nextAttemptAt: nextAttemptAt.toISOString(),
    lockedUntil: iso(lockedUntil),
    finishedAt: iso(finishedAt),
  };
}

/**
 * Everything stored about one lead: its rows (succeeded, failed, decision, outbox), the vote per field, the NPA
 * request rebuilt from the lead and the answer. `fallback` names the conversation for a lead whose rows do not
 * (the channel and reference the request would carry).
 */
export async function leadDetail(
  repos: Repositories,
  queries: ConversationQueries,
  leadId: string,
  fallback: { channel: Channel; externalId: string | null },
): Promise<LeadDetail> {
  const [succeeded, failed, decision, outbox, status] = await Promise.all([
    repos.succeeded.get(leadId),
    repos.failed.get(leadId),
    repos.decisions.get(leadId),
    queries.outboxRow(leadId),
    leadStateIn(repos, repos.db.em(), leadId),
  ]);
  const channel = outbox?.channel ?? succeeded?.channel ?? decision?.channel ?? failed?.channel ?? fallback.channel;
  const externalId = outbox?.externalId ?? decision?.externalId ?? fallback.externalId;
  // What the API is (or was last) sent: the outbox row's values (a retry's row holds the retried values).
  const sentLead = outbox?.lead ?? succeeded?.leadData ?? null;
  const data = succeeded?.leadData ?? outbox?.lead ?? failed?.leadData ?? decision?.leadData ?? null;
  const requestLead = sentLead ?? data;
  const sent = outbox !== null || succeeded !== null || (failed?.attempts ?? 0) > 0;
  const request: NpaRequestView | null =
    requestLead === null || externalId === null
      ? null
      : { method: 'POST', path: '/leads', idempotencyKey: leadId, body: npaPayload(requestLead, channel, externalId), sent };
  let answer: NpaAnswer | null = null;
  if (succeeded !== null) answer = { kind: 'accepted', at: succeeded.createdAt.toISOString(), response: succeeded.npaResponse };
  else if (outbox?.status === 'pending') answer = { kind: 'pending', lastError: outbox.lastError, nextAttemptAt: outbox.nextAttemptAt.toISOString() };
  else if (failed !== null && !sent) answer = { kind: 'not-sent', reason: failed.errorMessage };
  else if (failed !== null) {
    const lastRetry = failed.retries[failed.retries.length - 1];
    answer = { kind: 'failed', at: iso(failed.lastAttemptAt), error: lastRetry?.reason ?? failed.errorMessage, attempts: failed.attempts, resolvedAt: iso(failed.resolvedAt) };
  }
  return {
    leadId,
    status: status.status,
    channel,
    externalId,
    data,
    decision:
      decision === null
        ? null
        : {
            review: decision.review,
            reasked: decision.reasked,
            disputed: decision.disputed,
            reviewNote: decision.reviewNote,
            decidedBy: decision.decidedBy,
            decidedAt: iso(decision.decidedAt),
            createdAt: decision.createdAt.toISOString(),
          },
    votes: fieldVotes(decision ?? undefined),
    succeeded: succeeded === null ? null : { createdAt: succeeded.createdAt.toISOString() },
    failed:
      failed === null
        ? null
        : { reason: failed.errorMessage, attempts: failed.attempts, lastAttemptAt: iso(failed.lastAttemptAt), resolvedAt: iso(failed.resolvedAt), createdAt: failed.createdAt.toISOString() },
    npa: { request, answer },
    outbox: { row: outbox === null ? null : outboxView(outbox), retries: failed?.retries ?? [] },
  };
}
