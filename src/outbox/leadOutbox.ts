import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { NpaApiError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Database } from '../db/orm.js';
import type { Channel } from '../db/entities/index.js';
import type { Lead } from '../leads/lead.js';
import type { LeadStore } from '../db/leadStore.js';
import { NpaSubmitError, type NpaClient, type NpaSubmitResult } from '../npa/npaClient.js';

/** Worker passes a lead gets before it becomes a failed lead (each pass is one NpaClient.submit with its own retries). */
export const OUTBOX_MAX_ATTEMPTS = 6;
/** Backoff between passes: base * 4^(pass-1), capped, with +-20% jitter: 10 s, 40 s, 160 s, 10 min, 10 min. */
export const OUTBOX_RETRY_BASE_MS = 10_000;
export const OUTBOX_RETRY_MAX_MS = 10 * 60_000;
const WAIT_POLL_MS = 100;

export interface OutboxOptions {
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a claim holds a row; must outlast one NpaClient.submit (timeouts times attempts plus backoff). */
  leaseMs?: number;
  /** Names this process in `locked_by` (logs and debugging). */
  instanceId?: string;
  random?: () => number;
}

/** Where a lead stands. `pending` leads are in the outbox and will be (re)sent by a worker. */
export type LeadState =
  | { status: 'pending'; attempts: number; lastError: string | null }
  | { status: 'succeeded' }
  | { status: 'failed'; reason: string }
  | { status: 'absent' };

export interface AcceptLeadInput {
  id: string;
  lead: Lead;
  channel: Channel;
  sessionId: string | null;
  externalId: string;
  /** Set when the lead must not be sent (incomplete, extraction failed...): it goes straight to failed_leads. */
  refusal?: string;
}

/** One claimed outbox row, as the claim query returns it. */
export interface OutboxRow {
  id: string;
  lead_data: Lead;
  channel: Channel;
  session_id: string | null;
  external_id: string;
  kind: 'new' | 'retry';
  attempts: number;
  npa_attempts: number;
  max_attempts: number;
  locked_by: string;
}

export interface OutboxDeps {
  db: Database;
  store: LeadStore;
  npa: NpaClient;
  logger: Logger;
}

/**
 * The durable outbox between a finished conversation and the NPA API. A lead is accepted (a `pending` row, or a
 * failed row when it must not be sent) before anything is sent; passes claim rows with FOR UPDATE SKIP LOCKED in a
 * short transaction that sets a lease, call the API with no lock held, and finalize in one transaction: the
 * succeeded/failed row, the outbox status and the session's state. The lead id is the Idempotency-Key on every
 * pass, in every process, so NPA records the lead once even when a pass is repeated after a crash.
 */
export class LeadOutbox {
  readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  readonly leaseMs: number;
  private readonly instanceId: string;
  private readonly random: () => number;
  private readonly logger: Logger;

  constructor(
    private readonly deps: OutboxDeps,
    options: OutboxOptions = {},
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? OUTBOX_MAX_ATTEMPTS);
    this.retryBaseMs = options.retryBaseMs ?? OUTBOX_RETRY_BASE_MS;
    this.retryMaxMs = options.retryMaxMs ?? OUTBOX_RETRY_MAX_MS;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.instanceId = options.instanceId ?? `pid-${process.pid}`;
    this.random = options.random ?? Math.random;
    this.logger = deps.logger.child({ component: 'outbox' });
  }

  /**
   * Makes the lead durable: a pending outbox row, or (with a refusal) a failed row that is never sent, with the
   * session's state in the same transaction. Idempotent by id: a lead accepted twice (spool replay, recovery sweep)
   * keeps its first row and reports where it stands.
   */
  async accept(input: AcceptLeadInput, em?: EntityManager): Promise<LeadState> {
    const run = async (tx: EntityManager): Promise<LeadState> => {
      const session = input.sessionId;
      if (input.refusal !== undefined) {
        const inserted = await tx.execute<{ id: string }[]>(
          `insert into failed_leads (id, lead_data, error_message, channel, session_id, attempts, last_attempt_at, resolved_at, created_at)
           values (?, ?::jsonb, ?, ?, ?, 0, null, null, now())
           on conflict (id) do nothing returning id`,
          [input.id, JSON.stringify(input.lead), input.refusal, input.channel, session],
        );
        if (inserted.length === 0) return this.stateIn(tx, input.id);
        if (session !== null) {
          await this.deps.store.updateSessionState(
            session,
            { outcome: 'failed', leadId: input.id, reason: input.refusal, externalId: input.externalId, submittedAt: new Date().toISOString() },
            tx,
          );
        }
        return { status: 'failed', reason: input.refusal };
      }
      const inserted = await tx.execute<{ id: string }[]>(
        `insert into lead_outbox (id, lead_data, channel, session_id, external_id, kind, status, attempts, npa_attempts, max_attempts,
                                  next_attempt_at, created_at, updated_at)
         values (?, ?::jsonb, ?, ?, ?, 'new', 'pending', 0, 0, ?, now(), now(), now())
         on conflict (id) do nothing returning id`,
        [input.id, JSON.stringify(input.lead), input.channel, session, input.externalId, this.maxAttempts],
      );
      if (inserted.length === 0) return this.stateIn(tx, input.id);
      if (session !== null) {
        await this.deps.store.updateSessionState(
          session,
          { outcome: 'pending', leadId: input.id, reason: null, externalId: input.externalId },
          tx,
        );
      }
      return { status: 'pending', attempts: 0, lastError: null };
    };
    return em ? run(em) : this.deps.db.em().transactional(run);
  }

  /**
   * Puts a failed lead back in the outbox for one pass (`leads failed retry`), with its own id as the key. A row
   * already pending (a pass under way, or scheduled) is left as it is.
   */
  async enqueueRetry(input: { id: string; lead: Lead; channel: Channel; sessionId: string | null; externalId: string }): Promise<void> {
    await this.deps.db.em().execute(
      `insert into lead_outbox (id, lead_data, channel, session_id, external_id, kind, status, attempts, npa_attempts, max_attempts,
                                next_attempt_at, created_at, updated_at)
       values (?, ?::jsonb, ?, ?, ?, 'retry', 'pending', 0, 0, 1, now(), now(), now())
       on conflict (id) do update set kind = 'retry', status = 'pending', attempts = 0, npa_attempts = 0, max_attempts = 1,
         next_attempt_at = now(), locked_until = null, locked_by = null, last_error = null, finished_at = null,
         lead_data = excluded.lead_data, updated_at = now()
       where lead_outbox.status <> 'pending'`,
      [input.id, JSON.stringify(input.lead), input.channel, input.sessionId, input.externalId],
      'run',
    );
  }

  /** Where the lead stands: its outbox row, else its failed/succeeded row, else absent. */
  async state(id: string): Promise<LeadState> {
    return this.stateIn(this.deps.db.em(), id);
  }

  private async stateIn(em: EntityManager, id: string): Promise<LeadState> {
    const rows = await em.execute<{ source: string; status: string; attempts: number; reason: string | null; resolved: boolean }[]>(
      `select 'outbox' as source, status, attempts, last_error as reason, false as resolved from lead_outbox where id = ?
       union all select 'succeeded', 'succeeded', 0, null, true from succeeded_leads where id = ?
       union all select 'failed', 'failed', attempts, error_message, resolved_at is not null from failed_leads where id = ?`,
      [id, id, id],
    );
    // A succeeded row wins (a failed row may be resolved by it); then a pending outbox row; then the failed row.
    if (rows.some((r) => r.source === 'succeeded')) return { status: 'succeeded' };
    const outbox = rows.find((r) => r.source === 'outbox');
    if (outbox?.status === 'pending') return { status: 'pending', attempts: outbox.attempts, lastError: outbox.reason };
    const failed = rows.find((r) => r.source === 'failed');
    if (failed) return { status: 'failed', reason: failed.reason ?? 'failed' };
    if (outbox) return outbox.status === 'succeeded' ? { status: 'succeeded' } : { status: 'failed', reason: outbox.reason ?? 'failed' };
    return { status: 'absent' };
  }

  /** Claims up to `limit` due rows (short transaction; the lease, not a row lock, keeps others off them). */
  async claimDue(limit: number): Promise<OutboxRow[]> {
    return this.claim(`status = 'pending' and next_attempt_at <= now()`, [], limit);
  }

  /** Claims one row by id whatever its schedule (the call that wrote it sends it at once); null if taken or done. */
  async claimOne(id: string): Promise<OutboxRow | null> {
    const rows = await this.claim(`id = ? and status = 'pending'`, [id], 1);
    return rows[0] ?? null;
  }

  private async claim(where: string, params: unknown[], limit: number): Promise<OutboxRow[]> {
    const token = `${this.instanceId}:${randomUUID()}`;
    return this.deps.db.em().execute<OutboxRow[]>(
      `update lead_outbox o set locked_until = now() + (? * interval '1 millisecond'), locked_by = ?, attempts = o.attempts + 1, updated_at = now()
       where o.id in (
         select id from lead_outbox
         where ${where} and (locked_until is null or locked_until < now())
         order by next_attempt_at limit ? for update skip locked)
       returning o.id, o.lead_data, o.channel, o.session_id, o.external_id, o.kind, o.attempts, o.npa_attempts, o.max_attempts, o.locked_by`,
      [this.leaseMs, token, ...params, limit],
    );
  }

  /**
   * One pass over a claimed row: submit with the lead id as the Idempotency-Key, then finalize (success, final
   * failure) or give the row back with a backoff. Throws only when the database fails; the lease then expires and
   * a later pass repeats the submission under the same key.
   */
  async run(row: OutboxRow, signal?: AbortSignal): Promise<LeadState> {
    const logger = this.logger.child({ leadId: row.id, pass: row.attempts, kind: row.kind });
    let response: NpaSubmitResult;
    try {
      response = await this.deps.npa.submit(row.lead_data, {
        channel: row.channel,
        externalId: row.external_id,
        idempotencyKey: row.id,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      const reason = reasonOf(error);
      const npaAttempts = error instanceof NpaSubmitError ? error.attempts : 1;
      if (signal?.aborted) {
        // The caller stopped waiting (a call's submission deadline, a shutdown): the row goes back as due now.
        await this.release(row, reason, npaAttempts, 0);
        logger.info({ reason }, 'outbox pass aborted; lead stays pending');
        return { status: 'pending', attempts: row.attempts, lastError: reason };
      }
      const retryable = error instanceof NpaApiError ? error.retryable : true;
      if (retryable && row.attempts < row.max_attempts) {
        const delayMs = this.backoffMs(row.attempts);
        await this.release(row, reason, npaAttempts, delayMs);
        logger.warn({ reason, delayMs, maxAttempts: row.max_attempts }, 'outbox pass failed; lead stays pending');
        return { status: 'pending', attempts: row.attempts, lastError: reason };
      }
      const state = await this.finalizeFailed(row, reason, npaAttempts);
      logger.warn({ reason, passes: row.attempts }, 'lead submission failed; saved as failed');
      return state;
    }
    const state = await this.finalizeSucceeded(row, response);
    logger.info({ npaAttempts: response.attempts }, 'lead submitted');
    return state;
  }

  /**
   * Sends the lead now if its row is free (claims it by id), else waits for whoever holds it to finish their pass.
   * Resolves with where the lead then stands; `pending` when a pass failed and was rescheduled, or on abort.
   */
  async process(id: string, signal?: AbortSignal): Promise<LeadState> {
    for (;;) {
      const row = await this.claimOne(id);
      if (row) return this.run(row, signal);
      const state = await this.state(id);
      if (state.status !== 'pending' || signal?.aborted) return state;
      const held = await this.deps.db
        .em()
        .execute<{ held: boolean }[]>(`select locked_until is not null and locked_until >= now() as held from lead_outbox where id = ?`, [id]);
      // Free but not claimable: finished between our two looks; read it again.
      if (held[0]?.held !== true) continue;
      await sleep(WAIT_POLL_MS, signal);
    }
  }

  private backoffMs(pass: number): number {
    const base = Math.min(this.retryMaxMs, this.retryBaseMs * 4 ** Math.max(0, pass - 1));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  private async release(row: OutboxRow, reason: string, npaAttempts: number, delayMs: number): Promise<void> {
    await this.deps.db.em().execute(
      `update lead_outbox set locked_until = null, locked_by = null, last_error = ?, npa_attempts = npa_attempts + ?,
         next_attempt_at = now() + (? * interval '1 millisecond'), updated_at = now()
       where id = ? and status = 'pending' and locked_by = ?`,
      [reason, npaAttempts, delayMs, row.id, row.locked_by],
      'run',
    );
  }

  private async finalizeSucceeded(row: OutboxRow, response: NpaSubmitResult): Promise<LeadState> {
    return this.deps.db.em().transactional(async (em) => {
      const updated = await em.execute<{ id: string }[]>(
        `update lead_outbox set status = 'succeeded', npa_attempts = npa_attempts + ?, locked_until = null, last_error = null,
           finished_at = now(), updated_at = now()
         where id = ? and status = 'pending' returning id`,
        [response.attempts, row.id],
      );
      // Another pass (after our lease expired) finished it first; NPA holds it once under the same key.
      if (updated.length === 0) return this.stateIn(em, row.id);
      await em.execute(
        `insert into succeeded_leads (id, lead_data, channel, session_id, npa_response, created_at)
         values (?, ?::jsonb, ?, ?, ?::jsonb, now()) on conflict (id) do nothing`,
        [row.id, JSON.stringify(row.lead_data), row.channel, row.session_id, JSON.stringify(response.body)],
        'run',
      );
      // A retried failed lead is resolved; so is one a call recorded as failed while this row was still pending.
      await em.execute(
        `update failed_leads set resolved_at = now(), last_attempt_at = now(), attempts = attempts + ? where id = ? and resolved_at is null`,
        [row.npa_attempts + response.attempts, row.id],
        'run',
      );
      if (row.session_id !== null) {
        const now = new Date().toISOString();
        await this.deps.store.updateSessionState(
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

  private async finalizeFailed(row: OutboxRow, reason: string, npaAttempts: number): Promise<LeadState> {
    return this.deps.db.em().transactional(async (em) => {
      const updated = await em.execute<{ id: string }[]>(
        `update lead_outbox set status = 'failed', npa_attempts = npa_attempts + ?, locked_until = null, last_error = ?,
           finished_at = now(), updated_at = now()
         where id = ? and status = 'pending' returning id`,
        [npaAttempts, reason, row.id],
      );
      if (updated.length === 0) return this.stateIn(em, row.id);
      const total = row.npa_attempts + npaAttempts;
      if (row.kind === 'retry') {
        await em.execute(
          `update failed_leads set attempts = attempts + ?, last_attempt_at = now(), error_message = ? where id = ?`,
          [total, reason, row.id],
          'run',
        );
        return { status: 'failed', reason } as const;
      }
      await em.execute(
        `insert into failed_leads (id, lead_data, error_message, channel, session_id, attempts, last_attempt_at, resolved_at, created_at)
         values (?, ?::jsonb, ?, ?, ?, ?, now(), null, now())
         on conflict (id) do update set error_message = excluded.error_message, attempts = failed_leads.attempts + excluded.attempts,
           last_attempt_at = excluded.last_attempt_at`,
        [row.id, JSON.stringify(row.lead_data), reason, row.channel, row.session_id, total],
        'run',
      );
      if (row.session_id !== null) {
        await this.deps.store.updateSessionState(
          row.session_id,
          { outcome: 'failed', leadId: row.id, reason, externalId: row.external_id, submittedAt: new Date().toISOString() },
          em,
        );
      }
      return { status: 'failed', reason } as const;
    });
  }
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
