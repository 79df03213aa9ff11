import type { EntityManager } from '@mikro-orm/postgresql';
import { isConnectionError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Channel, Lead } from '../leads/lead.js';
import type { LeadOutcome } from '../leads/leadOutcome.js';
import type { Repositories } from '../db/repositories.js';
import type { SessionPatch } from '../db/entities/sessionState.js';
import { storableValue } from '../wire/storableText.js';
import type { LeadDecision } from '../extraction/fieldVote.js';
import { reviewReason, type LeadOutbox, type LeadState } from './leadOutbox.js';
import { HeldLeads } from './heldLeads.js';
import type { LeadSpool } from './leadSpool.js';
import type { SpoolRecord } from './spoolRecord.js';

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
  /** How its witnesses decided each field (stored with the lead); null when no vote was taken. */
  decision?: LeadDecision | null;
  /** The session the lead belongs to, opened (or merged into) by its key in the lead's own transaction. */
  sessionKey: string;
  sessionState: SessionPatch;
}

export interface IntakeDeps {
  repos: Repositories;
  outbox: LeadOutbox;
  /** Where a lead goes when the database cannot take it; null: nowhere (the lead is then lost, loudly). */
  spool: LeadSpool | null;
  /** How many leads neither store can take are held in memory until one can (0: none, such a lead is lost). */
  memoryQueueMax?: number;
  logger: Logger;
}

/** What upkeep or shutdown did with the leads held in memory. */
export interface HeldLeadsRound {
  stored: number;
  spooled: number;
  /** Still held: neither store could take them. */
  left: LeadSubmission[];
}

/**
 * The one road every lead takes into storage, whatever its channel: voice calls, SMS conversations, spool replay
 * and both recovery sweeps. `accept` makes it durable (session + outbox or failed row, one transaction); `store` is
 * `accept` that records a lead the database refuses as a failed one; `spool` keeps it on local disk when the
 * database cannot be reached, or holds it in memory when the spool cannot be written either; `deliver` sends an
 * accepted lead now; `submit` is all of them for callers without a state machine of their own.
 */
export class LeadIntake {
  private readonly logger: Logger;
  private readonly held: HeldLeads<LeadSubmission>;
  /** Whether the database answered the last time it was asked (a write, or a ping through `noteDatabase`). */
  private databaseAnswers = true;

  constructor(private readonly deps: IntakeDeps) {
    this.logger = deps.logger.child({ component: 'intake' });
    this.held = new HeldLeads(deps.memoryQueueMax ?? 0);
  }

  /** Leads held in memory because neither the database nor the spool could take them. */
  get heldCount(): number {
    return this.held.size;
  }

  /** What a database ping found. */
  noteDatabase(answers: boolean): void {
    this.databaseAnswers = answers;
  }

  /**
   * Whether a new lead could be kept now: the database answered last time, or the spool has its disk reserve.
   * New calls are refused while neither holds (their lead would live in memory only).
   */
  canKeepLeads(): boolean {
    return this.databaseAnswers || this.deps.spool?.ready === true;
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
          decision: submission.decision ?? null,
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
   * Makes the lead durable (`accept`). A lead the database answers for and refuses (a data error: not
   * `isConnectionError`) is recorded as a failed lead with the reason instead, its text made storable, and when even
   * that is refused, with its session state cut to its phase and id: spooling it would only fail the same way on
   * every replay. Rejects only when the database cannot be reached (or refuses the failed row too): the caller then
   * spools the lead.
   */
  async store(submission: LeadSubmission): Promise<LeadState> {
    try {
      const state = await this.accept(submission);
      this.databaseAnswers = true;
      return state;
    } catch (error) {
      if (isConnectionError(error)) {
        this.databaseAnswers = false;
        throw error;
      }
      return this.recordRefused(submission, error);
    }
  }

  private async recordRefused(submission: LeadSubmission, error: unknown): Promise<LeadState> {
    const refusedBy = `the database refused the lead (${reasonOf(error)})`;
    const refusal = submission.refusal === undefined ? refusedBy : `${submission.refusal}; ${refusedBy}`;
    this.logger.error({ leadId: submission.id, channel: submission.channel, err: reasonOf(error) }, 'database refused the lead; saving it as a failed lead');
    const storable = storableValue(submission);
    const { phase } = storable.sessionState as { phase?: unknown };
    const attempts: LeadSubmission[] = [
      { ...storable, refusal },
      { ...storable, refusal, sessionState: { leadId: submission.id, ...(typeof phase === 'string' ? { phase } : {}) } },
    ];
    let last = error;
    for (const attempt of attempts) {
      try {
        return await this.accept(attempt);
      } catch (next) {
        if (isConnectionError(next)) throw next;
        last = next;
      }
    }
    throw last;
  }

  /**
   * The database did not take the lead: append it (with its session's state) to the fsynced local spool, replayed
   * into `accept` when the database is back. When the spool cannot be written either, the lead is held in memory
   * (bounded) until upkeep or shutdown gets one of them to take it. Rejects only when there is no room there too.
   */
  async spool(submission: LeadSubmission, cause: unknown): Promise<LeadOutcome> {
    let spoolError: unknown = new Error('no spool');
    if (this.deps.spool !== null) {
      try {
        await this.appendToSpool(this.deps.spool, submission);
        this.logger.warn({ leadId: submission.id, err: reasonOf(cause) }, 'database unavailable: lead spooled to disk');
        return {
          outcome: 'failed',
          leadId: submission.id,
          pending: true,
          reason: `submission pending: database unavailable (${reasonOf(cause)}); lead kept in the local spool`,
        };
      } catch (error) {
        spoolError = error;
      }
    }
    if (!this.held.hold(submission)) {
      if (this.deps.spool === null) throw cause;
      throw new Error(`database unavailable (${reasonOf(cause)}), spool not written (${reasonOf(spoolError)}), memory queue full`);
    }
    this.logger.error(
      { leadId: submission.id, err: reasonOf(cause), spoolErr: reasonOf(spoolError), held: this.held.size },
      'neither the database nor the spool can take the lead: held in memory',
    );
    return {
      outcome: 'failed',
      leadId: submission.id,
      pending: true,
      reason: `submission pending: database unavailable (${reasonOf(cause)}), spool not written (${reasonOf(spoolError)}); lead held in memory until one of them can take it`,
    };
  }

  /** Offers each lead held in memory to the database, then to the spool (upkeep, shutdown); what is left stays. */
  async retryHeld(): Promise<HeldLeadsRound> {
    const round: HeldLeadsRound = { stored: 0, spooled: 0, left: [] };
    for (const submission of this.held.all()) {
      try {
        await this.store(submission);
        round.stored++;
      } catch {
        try {
          if (this.deps.spool === null) throw new Error('no spool');
          await this.appendToSpool(this.deps.spool, submission);
          round.spooled++;
        } catch {
          round.left.push(submission);
          continue;
        }
      }
      this.held.release(submission.id);
    }
    if (round.stored + round.spooled > 0) this.logger.info({ stored: round.stored, spooled: round.spooled, left: round.left.length }, 'leads held in memory stored');
    return round;
  }

  private appendToSpool(spool: LeadSpool, submission: LeadSubmission): Promise<void> {
    return spool.append({
      v: 1,
      id: submission.id,
      channel: submission.channel,
      externalId: submission.externalId,
      sessionKey: submission.sessionKey,
      sessionState: submission.sessionState as Record<string, unknown>,
      lead: submission.lead,
      refusal: submission.refusal ?? null,
      decision: submission.decision ?? null,
      spooledAt: new Date().toISOString(),
    });
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

  /** Stores the lead (or spools it when the database cannot take it), then sends it if it may be sent. */
  async submit(submission: LeadSubmission, signal?: AbortSignal): Promise<LeadOutcome> {
    let state: LeadState;
    try {
      state = await this.store(submission);
    } catch (error) {
      return this.spool(submission, error);
    }
    if (state.status !== 'pending') return outcomeOf(submission.id, state);
    return this.deliver(submission.id, signal);
  }

  /** One spooled lead back into the database (spool replay); rejects when the database still cannot take it. */
  async replay(record: SpoolRecord): Promise<void> {
    await this.store({
      id: record.id,
      channel: record.channel,
      externalId: record.externalId,
      lead: record.lead,
      ...(record.refusal === null ? {} : { refusal: record.refusal }),
      decision: record.decision ?? null,
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
    case 'review':
      return { outcome: 'review', leadId, reason: reviewReason(state.disputed) };
    case 'absent':
      return { outcome: 'failed', leadId, reason: 'lead not recorded' };
  }
}
