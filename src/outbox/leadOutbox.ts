import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { NpaApiError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Channel, Lead } from '../leads/lead.js';
import type { LeadDecision } from '../extraction/fieldVote.js';
import type { OutboxRow } from '../db/outboxRepository.js';
import { lockLead } from '../db/leadLock.js';
import type { Repositories } from '../db/repositories.js';
import { NpaCircuitOpenError, NpaSubmitError, type NpaClient, type NpaSubmitResult } from '../npa/npaClient.js';
import { finalizeFailed, finalizeSucceeded } from './finalizeLead.js';
import { leadStateIn, type LeadState } from './leadState.js';
import { renewLease } from './leaseRenewal.js';
import { RequestSlots } from './requestSlots.js';

/** Worker passes a lead gets before it becomes a failed lead (each pass is one NpaClient.submit with its own retries). */
export const OUTBOX_MAX_ATTEMPTS = 6;
/** Backoff between passes: base * 4^(pass-1), capped, with +-20% jitter: 10 s, 40 s, 160 s, 10 min, 10 min. */
export const OUTBOX_RETRY_BASE_MS = 10_000;
export const OUTBOX_RETRY_MAX_MS = 10 * 60_000;
/** NPA requests this process has out at once (one per pass). */
export const NPA_MAX_IN_FLIGHT = 8;
/** An instance whose heartbeat is this old is dead: its claims are free (RECOVERY_GRACE_MS in the server). */
export const DEAD_INSTANCE_MS = 15_000;
const WAIT_POLL_MS = 100;

export interface OutboxOptions {
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a claim holds a row; renewed every third of it while its pass runs. */
  leaseMs: number;
  /** This process's instance id, the first part of `locked_by`: its claims are free once it is dead. */
  instanceId?: string;
  /** A claim of an instance with no heartbeat for this long is free, however long its lease. */
  deadInstanceMs?: number;
  /** Passes (so NPA requests) this outbox runs at once. */
  maxInFlight?: number;
  /** A disputed lead: held until a person decides (default), or sent with the majority values and flagged. */
  reviewPolicy?: 'hold' | 'send';
  random?: () => number;
}

export type { LeadState } from './leadState.js';

export interface AcceptLeadInput {
  id: string;
  lead: Lead;
  channel: Channel;
  sessionId: string | null;
  externalId: string;
  /** Set when the lead must not be sent (incomplete, extraction failed...): it goes straight to failed_leads. */
  refusal?: string;
  /** How its witnesses decided each field: stored with the lead; a disputed lead is held or flagged for review. */
  decision?: LeadDecision | null;
}

/** Why a held lead is not sent, as its session and the call report it (field names only). */
export function reviewReason(disputed: readonly string[]): string {
  return `held for review: the witnesses disagree on ${disputed.join(', ')}`;
}

export interface OutboxDeps {
  repos: Repositories;
  npa: NpaClient;
  logger: Logger;
}

/** The one way the server and the CLI build the outbox: the configured attempt budget, backoff, lease and cap. */
export function createLeadOutbox(
  config: Pick<Config, 'NPA_MAX_IN_FLIGHT' | 'OUTBOX_MAX_ATTEMPTS' | 'OUTBOX_RETRY_BASE_MS' | 'OUTBOX_LEASE_MS' | 'RECOVERY_GRACE_MS' | 'REVIEW_POLICY'>,
  deps: OutboxDeps,
  identity: { instanceId?: string } = {},
): LeadOutbox {
  return new LeadOutbox(deps, {
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    retryBaseMs: config.OUTBOX_RETRY_BASE_MS,
    leaseMs: config.OUTBOX_LEASE_MS,
    deadInstanceMs: config.RECOVERY_GRACE_MS,
    maxInFlight: config.NPA_MAX_IN_FLIGHT,
    reviewPolicy: config.REVIEW_POLICY,
    ...identity,
  });
}

/**
 * The durable outbox between a finished conversation and the NPA API. A lead is accepted (a `pending` row, or a
 * failed row when it must not be sent) before anything is sent; passes claim rows with FOR UPDATE SKIP LOCKED in a
 * short transaction that sets a lease, call the API with no lock held, and finalize in one transaction: the
 * succeeded/failed row, the outbox status and the session's state. The lead id is the Idempotency-Key on every
 * pass, in every process, so NPA records the lead once even when a pass is repeated after a crash. At most
 * `maxInFlight` passes run at once; while the NPA client's circuit is open none starts (one, the probe, once its
 * wait is over), and when it closes the rows waiting out a backoff are due at once.
 */
export class LeadOutbox {
  readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  readonly leaseMs: number;
  readonly instanceId: string;
  private readonly deadInstanceMs: number;
  readonly reviewPolicy: 'hold' | 'send';
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly repos: Repositories;
  private readonly slots: RequestSlots;
  /** Passes under way, whoever started them (the worker, or a caller that may have stopped waiting). */
  private readonly passes = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: OutboxDeps,
    options: OutboxOptions,
  ) {
    this.repos = deps.repos;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? OUTBOX_MAX_ATTEMPTS);
    this.retryBaseMs = options.retryBaseMs ?? OUTBOX_RETRY_BASE_MS;
    this.retryMaxMs = options.retryMaxMs ?? OUTBOX_RETRY_MAX_MS;
    this.leaseMs = options.leaseMs;
    this.instanceId = options.instanceId ?? `pid-${process.pid}`;
    this.deadInstanceMs = options.deadInstanceMs ?? DEAD_INSTANCE_MS;
    this.reviewPolicy = options.reviewPolicy ?? 'hold';
    this.random = options.random ?? Math.random;
    this.logger = deps.logger.child({ component: 'outbox' });
    this.slots = new RequestSlots(Math.max(1, options.maxInFlight ?? NPA_MAX_IN_FLIGHT));
  }

  /**
   * Makes the lead durable: a pending outbox row, or (with a refusal) a failed row that is never sent, with the
   * session's state in the same transaction. Idempotent by id: a lead id that already has an outbox, succeeded or
   * failed row (spool replay, recovery sweep, a write that landed after its deadline) keeps it, nothing changes, and
   * the answer is where it stands. Accepts of one id are serialized by a transaction-scoped advisory lock, so two
   * writers of the same lead cannot both find it absent.
   */
  async accept(input: AcceptLeadInput, em?: EntityManager): Promise<LeadState> {
    const run = async (tx: EntityManager): Promise<LeadState> => {
      await lockLead(tx, input.id);
      const existing = await this.stateIn(tx, input.id);
      if (existing.status !== 'absent') return existing;
      const entry = { id: input.id, lead: input.lead, channel: input.channel, sessionId: input.sessionId, externalId: input.externalId };
      const disputed = input.decision?.disputed ?? [];
      // A refused lead is a failed lead whatever its witnesses say (a person retries it); a disputed one is reviewed.
      const review = disputed.length === 0 || input.refusal !== undefined ? 'none' : this.reviewPolicy === 'hold' ? 'held' : 'sent';
      if (input.decision) {
        const { fields, reasked } = input.decision;
        await this.repos.decisions.insert(tx, { ...entry, fields, disputed, reasked, review });
      }
      if (review === 'held') {
        if (input.sessionId !== null) {
          await this.repos.sessions.patch(
            input.sessionId,
            { outcome: 'review', leadId: input.id, reason: reviewReason(disputed), externalId: input.externalId },
            tx,
          );
        }
        this.logger.info({ leadId: input.id, disputed, policy: this.reviewPolicy }, 'lead held for review');
        return { status: 'review', disputed: [...disputed] };
      }
      if (review === 'sent') this.logger.info({ leadId: input.id, disputed, policy: this.reviewPolicy }, 'disputed lead sent with the majority values; listed for review');
      if (input.refusal !== undefined) {
        await this.repos.failed.insert(tx, { ...entry, reason: input.refusal, attempts: 0 });
        if (input.sessionId !== null) {
          await this.repos.sessions.patch(
            input.sessionId,
            { outcome: 'failed', leadId: input.id, reason: input.refusal, externalId: input.externalId, submittedAt: new Date().toISOString() },
            tx,
          );
        }
        return { status: 'failed', reason: input.refusal };
      }
      await this.repos.outbox.insertPending(tx, entry, this.maxAttempts);
      if (input.sessionId !== null) {
        await this.repos.sessions.patch(input.sessionId, { outcome: 'pending', leadId: input.id, reason: null, externalId: input.externalId }, tx);
      }
      return { status: 'pending', attempts: 0, lastError: null };
    };
    return em ? run(em) : this.repos.db.em().transactional(run);
  }

  /**
   * Puts a failed lead back in the outbox for one pass (`leads failed retry`), with its own id as the key. A row
   * already pending (a pass under way, or scheduled) is left as it is.
   */
  async enqueueRetry(input: { id: string; lead: Lead; channel: Channel; sessionId: string | null; externalId: string }): Promise<void> {
    await this.repos.outbox.enqueueRetry(input);
  }

  /** Where the lead stands: its outbox row, else its failed/succeeded row, else absent. */
  async state(id: string): Promise<LeadState> {
    return this.stateIn(this.repos.db.em(), id);
  }

  private stateIn(em: EntityManager, id: string): Promise<LeadState> {
    return leadStateIn(this.repos, em, id);
  }

  /** Claims up to `limit` due rows (short transaction; the lease, not a row lock, keeps others off them). */
  async claimDue(limit: number): Promise<OutboxRow[]> {
    return this.repos.outbox.claim({ dueOnly: true }, this.claimOptions(limit));
  }

  /** Claims one row by id whatever its schedule (the call that wrote it sends it at once); null if taken or done. */
  async claimOne(id: string): Promise<OutboxRow | null> {
    const rows = await this.repos.outbox.claim({ id }, this.claimOptions(1));
    return rows[0] ?? null;
  }

  private claimOptions(limit: number): { limit: number; leaseMs: number; token: string; deadAfterMs: number } {
    return { limit, leaseMs: this.leaseMs, token: `${this.instanceId}:${randomUUID()}`, deadAfterMs: this.deadInstanceMs };
  }

  /**
   * At start-up: frees the claims this instance id still holds, a previous run's (INSTANCE_ID kept across a
   * restart) whose passes died with it, so they are sent again now rather than when their leases run out.
   */
  async releaseOwnClaims(): Promise<number> {
    return this.repos.outbox.releaseClaimsOf(this.instanceId);
  }

  /** How many passes may start now: free request slots, and no more than the NPA circuit lets through. */
  capacity(): number {
    return Math.min(this.slots.free, this.deps.npa.circuit.permits());
  }

  /**
   * Claims as many due rows as may be sent now (at most `limit`) and starts a pass over each; resolves once they
   * are claimed, with one promise per pass that resolves when it has ended. A pass that cannot record its outcome
   * is logged: its lease runs out and a later pass repeats it under the same key.
   */
  async sendDue(limit: number): Promise<Array<Promise<void>>> {
    const wanted = Math.min(limit, this.capacity());
    let taken = 0;
    while (taken < wanted && this.slots.tryTake()) taken++;
    if (taken === 0) return [];
    let rows: OutboxRow[] = [];
    try {
      rows = await this.claimDue(taken);
    } finally {
      // Slots for rows that were not there (or a claim that failed) go back at once.
      for (let i = rows.length; i < taken; i++) this.slots.give();
    }
    return rows.map((row) =>
      this.track(this.run(row)).then(
        () => undefined,
        (error: unknown) => this.logger.error({ leadId: row.id, err: reasonOf(error) }, 'outbox pass could not record its outcome'),
      ),
    );
  }

  /**
   * One pass over a claimed row: submit with the lead id as the Idempotency-Key, then finalize (success, final
   * failure) or give the row back with a backoff. Throws only when the database fails; the lease then expires and
   * a later pass repeats the submission under the same key.
   */
  async run(row: OutboxRow): Promise<LeadState> {
    const logger = this.logger.child({ leadId: row.id, pass: row.attempts, kind: row.kind });
    // The lease is short and renewed while the pass runs, so a dead process's claim is free again soon.
    const renewal = renewLease(this.repos.outbox, row, this.leaseMs, logger);
    try {
      return await this.pass(row, logger);
    } finally {
      renewal.stop();
    }
  }

  private async pass(row: OutboxRow, logger: Logger): Promise<LeadState> {
    let response: NpaSubmitResult;
    try {
      response = await this.deps.npa.submit(row.lead_data, {
        channel: row.channel,
        externalId: row.external_id,
        idempotencyKey: row.id,
        previousAttempts: row.npa_attempts,
      });
    } catch (error) {
      const reason = reasonOf(error);
      if (error instanceof NpaCircuitOpenError) {
        // Nothing was sent: the pass does not count, and the row is due when the circuit lets a probe through.
        const delayMs = Math.max(0, (error.retryAt ?? Date.now()) - Date.now());
        await this.repos.outbox.release(row, { reason, npaAttempts: 0, delayMs, sent: false });
        logger.info({ delayMs }, 'outbox pass sent nothing: NPA circuit open; lead stays pending');
        return { status: 'pending', attempts: row.attempts - 1, lastError: reason };
      }
      const npaAttempts = error instanceof NpaSubmitError ? error.attempts : 1;
      const retryable = error instanceof NpaApiError ? error.retryable : true;
      if (retryable && row.attempts < row.max_attempts) {
        const delayMs = this.backoffMs(row.attempts);
        await this.repos.outbox.release(row, { reason, npaAttempts, delayMs, sent: true });
        logger.warn({ reason, delayMs, maxAttempts: row.max_attempts }, 'outbox pass failed; lead stays pending');
        return { status: 'pending', attempts: row.attempts, lastError: reason };
      }
      const state = await finalizeFailed(this.repos, row, reason, npaAttempts);
      logger.warn({ reason, passes: row.attempts }, 'lead submission failed; saved as failed');
      return state;
    }
    const state = await finalizeSucceeded(this.repos, row, response);
    logger.info({ npaAttempts: response.attempts }, 'lead submitted');
    return state;
  }

  /**
   * Sends the lead now if its row is free (claims it by id), else waits for whoever holds it to finish their pass.
   * Resolves with where the lead then stands: `pending` when a pass failed and was rescheduled, when the NPA circuit
   * is open, or when `signal` aborts. An abort stops the waiting, not the request: the pass goes on and records its
   * outcome (cutting the request off would only have it sent again).
   */
  async process(id: string, signal?: AbortSignal): Promise<LeadState> {
    for (;;) {
      if (this.deps.npa.circuit.permits() === 0) return this.withReason(id, new NpaCircuitOpenError(null).message);
      if (!(await this.slots.take(signal))) return this.state(id);
      let row: OutboxRow | null;
      try {
        row = await this.claimOne(id);
      } catch (error) {
        this.slots.give();
        throw error;
      }
      if (row) {
        const pass = this.track(this.run(row));
        return signal ? untilAborted(pass, signal, () => this.withReason(id, 'NPA API has not answered yet; the request goes on')) : pass;
      }
      this.slots.give();
      const state = await this.state(id);
      if (state.status !== 'pending' || signal?.aborted) return state;
      // Free but not claimable: finished between our two looks; read it again.
      if (!(await this.repos.outbox.isHeld(id))) continue;
      await sleep(WAIT_POLL_MS, signal);
    }
  }

  /** Resolves once every pass under way has ended. */
  async settle(): Promise<void> {
    while (this.passes.size > 0) await Promise.allSettled([...this.passes]);
  }

  /**
   * Calls `listener` each time the NPA API is back (its circuit closed), once the rows waiting out a backoff have
   * been made due; returns the unsubscribe.
   */
  onApiRecovered(listener: () => void): () => void {
    return this.deps.npa.circuit.onClosed(() => {
      this.repos.outbox
        .expediteBackoff()
        .then((due) => {
          this.logger.info({ due }, 'NPA API answers again: leads waiting out a backoff are due now');
          listener();
        })
        .catch((error: unknown) => this.logger.warn({ err: reasonOf(error) }, 'could not make backed-off leads due'));
    });
  }

  /** A pass that holds a request slot, tracked until it ends; the slot is given back then. */
  private track<T>(pass: Promise<T>): Promise<T> {
    const tracked = pass.finally(() => {
      this.slots.give();
      this.passes.delete(tracked);
    });
    this.passes.add(tracked);
    // Handled here as well: a caller that stopped waiting no longer listens to it.
    tracked.catch(() => undefined);
    return tracked;
  }

  /** Where the lead stands; a pending one with `reason` as why it is still pending. */
  private async withReason(id: string, reason: string): Promise<LeadState> {
    const state = await this.state(id);
    return state.status === 'pending' ? { ...state, lastError: reason } : state;
  }

  private backoffMs(pass: number): number {
    const base = Math.min(this.retryMaxMs, this.retryBaseMs * 4 ** Math.max(0, pass - 1));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }
}

/** The pass's result, or (when `signal` aborts first) what `onAbort` says while the pass goes on. */
function untilAborted<T>(pass: Promise<T>, signal: AbortSignal, onAbort: () => Promise<T>): Promise<T> {
  if (signal.aborted) return onAbort();
  return new Promise<T>((resolve, reject) => {
    const aborted = (): void => void onAbort().then(resolve, reject);
    signal.addEventListener('abort', aborted, { once: true });
    pass.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
