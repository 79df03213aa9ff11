import type { EntityManager } from '@mikro-orm/postgresql';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Channel, Lead } from '../leads/lead.js';
import type { LeadOutcome } from '../leads/leadOutcome.js';
import type { Repositories } from '../db/repositories.js';
import type { SessionPatch } from '../db/entities/sessionState.js';
import type { LeadOutbox, LeadState } from './leadOutbox.js';
import type { LeadSpool, SpoolRecord } from './leadSpool.js';

/** A lead handed to the intake by any channel: the lead, why it must not be sent, and the session it belongs to. */
export interface LeadSubmission {
  /** The lead id: the row id of whatever it ends as, and the NPA Idempotency-Key. */
  id: string;
  channel: Channel;
  /** Our reference sent to NPA as external_id (the CallSid for a call). */
  externalId: string;
  lead: Lead;
  /** Set when the lead must not be sent (leads/problems.ts#refusalFor): it is saved as a failed lead. */
  refusal?: string;
  /** The session the lead belongs to, opened (or merged into) by its key in the lead's own transaction. */
  sessionKey: string;
  sessionState: SessionPatch;
}

export interface IntakeDeps {
  repos: Repositories;
  outbox: LeadOutbox;
  /** Where a lead goes when the database cannot take it; null: nowhere (the lead is then lost, loudly). */
  spool: LeadSpool | null;
  logger: Logger;
}

/**
 * The one road every lead takes into storage, whatever its channel: voice calls, SMS conversations, spool replay
 * and both recovery sweeps. `accept` makes it durable (session + outbox or failed row, one transaction); `spool`
 * keeps it on local disk when the database cannot; `deliver` sends an accepted lead now; `submit` is all three
 * for callers without a state machine of their own.
 */
export class LeadIntake {
  private readonly logger: Logger;

  constructor(private readonly deps: IntakeDeps) {
    this.logger = deps.logger.child({ component: 'intake' });
  }

  /** Makes the lead durable in the database; idempotent by lead id (see LeadOutbox.accept). */
  async accept(submission: LeadSubmission, em?: EntityManager): Promise<LeadState> {
    const run = async (tx: EntityManager): Promise<LeadState> => {
      const sessionId = await this.deps.repos.sessions.open(
        { channel: submission.channel, sessionKey: submission.sessionKey, state: submission.sessionState },
        tx,
      );
      const state = await this.deps.outbox.accept(
        {
          id: submission.id,
          lead: submission.lead,
          channel: submission.channel,
          sessionId,
          externalId: submission.externalId,
          ...(submission.refusal === undefined ? {} : { refusal: submission.refusal }),
        },
        tx,
      );
      if (submission.refusal !== undefined && state.status === 'failed') {
        this.logger.info({ leadId: submission.id, channel: submission.channel }, 'lead not sent; saved as failed');
      }
      return state;
    };
    return em ? run(em) : this.deps.repos.db.em().transactional(run);
  }

  /**
   * The database did not take the lead: append it (with its session's state) to the fsynced local spool, replayed
   * into `accept` when the database is back. Rejects when there is no spool or it cannot be written.
   */
  async spool(submission: LeadSubmission, cause: unknown): Promise<LeadOutcome> {
    if (this.deps.spool === null) throw cause;
    await this.deps.spool.append({
      v: 1,
      id: submission.id,
      channel: submission.channel,
      externalId: submission.externalId,
      sessionKey: submission.sessionKey,
      sessionState: submission.sessionState as Record<string, unknown>,
      lead: submission.lead,
      refusal: submission.refusal ?? null,
      spooledAt: new Date().toISOString(),
    });
    this.logger.warn({ leadId: submission.id, err: reasonOf(cause) }, 'database unavailable: lead spooled to disk');
    return {
      outcome: 'failed',
      leadId: submission.id,
      pending: true,
      reason: `submission pending: database unavailable (${reasonOf(cause)}); lead kept in the local spool`,
    };
  }

  /** Sends an accepted lead now (or waits for the worker that holds it); where it then stands. */
  async deliver(leadId: string, signal?: AbortSignal): Promise<LeadOutcome> {
    try {
      return outcomeOf(leadId, await this.deps.outbox.process(leadId, signal));
    } catch (error) {
      // NPA may have taken it; the outcome could not be written. The lease expires and a worker repeats the pass
      // under the same key, so NPA still holds it once.
      return outcomeOf(leadId, { status: 'pending', attempts: 1, lastError: `could not record the outcome: ${reasonOf(error)}` });
    }
  }

  /** Accepts the lead (or spools it when the database fails), then sends it if it may be sent. */
  async submit(submission: LeadSubmission, signal?: AbortSignal): Promise<LeadOutcome> {
    let state: LeadState;
    try {
      state = await this.accept(submission);
    } catch (error) {
      return this.spool(submission, error);
    }
    if (state.status !== 'pending') return outcomeOf(submission.id, state);
    return this.deliver(submission.id, signal);
  }

  /** One spooled lead back into the database (spool replay). */
  async replay(record: SpoolRecord): Promise<void> {
    await this.accept({
      id: record.id,
      channel: record.channel,
      externalId: record.externalId,
      lead: record.lead,
      ...(record.refusal === null ? {} : { refusal: record.refusal }),
      sessionKey: record.sessionKey,
      sessionState: record.sessionState,
    });
  }
}

/** A lead's state as the outcome every channel reports. */
export function outcomeOf(leadId: string, state: LeadState): LeadOutcome {
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
