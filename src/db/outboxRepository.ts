import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, Lead } from '../leads/lead.js';
import { LeadOutboxSchema } from './entities/index.js';
import { instanceDeadSql } from './instanceRepository.js';
import type { Database } from './orm.js';

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

export interface OutboxEntry {
  id: string;
  lead: Lead;
  channel: Channel;
  sessionId: string | null;
  externalId: string;
}

/** An outbox row's status and last error, for "where does this lead stand". */
export interface OutboxStatus {
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastError: string | null;
}

/**
 * The lead_outbox table. Leases are set and compared with the database's clock (every instance shares it).
 * `locked_by` is `<instance id>:<claim>`: a claim of an instance whose heartbeat is stale is free however long its
 * lease.
 */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  async insertPending(em: EntityManager, entry: OutboxEntry, maxAttempts: number): Promise<void> {
    await em.insert(LeadOutboxSchema, {
      id: entry.id,
      leadData: entry.lead,
      channel: entry.channel,
      session: entry.sessionId,
      externalId: entry.externalId,
      kind: 'new',
      status: 'pending',
      attempts: 0,
      npaAttempts: 0,
      maxAttempts,
      nextAttemptAt: raw('now()'),
      createdAt: raw('now()'),
      updatedAt: raw('now()'),
    });
  }

  /**
   * Puts a lead back for one pass (`leads failed retry`). Raw SQL: an upsert whose conflict branch resets a
   * finished row but leaves a pending one (a pass under way, or scheduled) as it is.
   */
  async enqueueRetry(entry: OutboxEntry): Promise<void> {
    await this.db.em().execute(
      `insert into lead_outbox (id, lead_data, channel, session_id, external_id, kind, status, attempts, npa_attempts, max_attempts,
                                next_attempt_at, created_at, updated_at)
       values (?, ?::jsonb, ?, ?, ?, 'retry', 'pending', 0, 0, 1, now(), now(), now())
       on conflict (id) do update set kind = 'retry', status = 'pending', attempts = 0, npa_attempts = 0, max_attempts = 1,
         next_attempt_at = now(), locked_until = null, locked_by = null, last_error = null, finished_at = null,
         lead_data = excluded.lead_data, updated_at = now()
       where lead_outbox.status <> 'pending'`,
      [entry.id, JSON.stringify(entry.lead), entry.channel, entry.sessionId, entry.externalId],
      'run',
    );
  }

  /**
   * Claims up to `limit` rows matching `where` that nobody holds (no lease, a lease run out, or a claim of a dead
   * instance: stopped, or no heartbeat for `deadAfterMs`): sets a lease and counts the pass. Raw SQL: FOR UPDATE
   * SKIP LOCKED in a short statement, so workers of several instances never take the same row and no lock is held
   * during the HTTP call.
   */
  async claim(
    where: { dueOnly: true } | { id: string },
    options: { limit: number; leaseMs: number; token: string; deadAfterMs: number },
  ): Promise<OutboxRow[]> {
    const [condition, params] =
      'id' in where ? [`id = ? and status = 'pending'`, [where.id]] : [`status = 'pending' and next_attempt_at <= now()`, []];
    return this.db.em().execute<OutboxRow[]>(
      `update lead_outbox o set locked_until = now() + (? * interval '1 millisecond'), locked_by = ?, attempts = o.attempts + 1, updated_at = now()
       where o.id in (
         select id from lead_outbox
         where ${condition}
           and (locked_until is null or locked_until < now() or ${instanceDeadSql(`split_part(locked_by, ':', 1)`)})
         order by next_attempt_at limit ? for update skip locked)
       returning o.id, o.lead_data, o.channel, o.session_id, o.external_id, o.kind, o.attempts, o.npa_attempts, o.max_attempts, o.locked_by`,
      [options.leaseMs, options.token, ...params, options.deadAfterMs, options.limit],
    );
  }

  /**
   * The pass holding `row` is still running: its lease runs `leaseMs` from now. False when the claim is not ours
   * any more (another instance took it, thinking us dead). Raw SQL: the database's clock.
   */
  async renew(row: OutboxRow, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .em()
      .execute<{ affectedRows: number }>(
        `update lead_outbox set locked_until = now() + (? * interval '1 millisecond') where id = ? and status = 'pending' and locked_by = ?`,
        [leaseMs, row.id, row.locked_by],
        'run',
      );
    return result.affectedRows > 0;
  }

  /**
   * Frees the claims `instanceId` still holds: at start-up they are a previous run's, whose passes died with it.
   * Returns how many. Raw SQL: the instance is the part of `locked_by` before the first colon.
   */
  async releaseClaimsOf(instanceId: string): Promise<number> {
    const result = await this.db
      .em()
      .execute<{ affectedRows: number }>(
        `update lead_outbox set locked_until = null, locked_by = null, updated_at = now()
         where status = 'pending' and locked_by is not null and split_part(locked_by, ':', 1) = ?`,
        [instanceId],
        'run',
      );
    return result.affectedRows;
  }

  /**
   * Gives a claimed row back, due again in `delayMs`; a no-op when another claim took it since. `sent: false` when
   * the pass sent nothing (the circuit was open): the pass is not counted against the lead's budget.
   */
  async release(row: OutboxRow, outcome: { reason: string; npaAttempts: number; delayMs: number; sent: boolean }): Promise<void> {
    await this.db.em().nativeUpdate(
      LeadOutboxSchema,
      { id: row.id, status: 'pending', lockedBy: row.locked_by },
      {
        lockedUntil: null,
        lockedBy: null,
        lastError: outcome.reason,
        ...(outcome.sent ? {} : { attempts: raw('greatest(attempts - 1, 0)') }),
        npaAttempts: raw('npa_attempts + ?', [outcome.npaAttempts]),
        nextAttemptAt: raw(`now() + (? * interval '1 millisecond')`, [outcome.delayMs]),
        updatedAt: raw('now()'),
      },
    );
  }

  /**
   * The API is back: pending rows waiting out a backoff are due now; returns how many. Raw SQL: compared with the
   * database's clock, which set the backoff.
   */
  async expediteBackoff(): Promise<number> {
    const result = await this.db
      .em()
      .execute<{ affectedRows: number }>(
        `update lead_outbox set next_attempt_at = now(), updated_at = now() where status = 'pending' and next_attempt_at > now()`,
        [],
        'run',
      );
    return result.affectedRows;
  }

  /** Marks a pending row finished; false when it was not pending any more (another pass finished it first). */
  async finish(
    em: EntityManager,
    id: string,
    outcome: { status: 'succeeded' | 'failed'; npaAttempts: number; lastError: string | null },
  ): Promise<boolean> {
    const updated = await em.nativeUpdate(
      LeadOutboxSchema,
      { id, status: 'pending' },
      {
        status: outcome.status,
        npaAttempts: raw('npa_attempts + ?', [outcome.npaAttempts]),
        lockedUntil: null,
        lastError: outcome.lastError,
        finishedAt: raw('now()'),
        updatedAt: raw('now()'),
      },
    );
    return updated > 0;
  }

  async status(em: EntityManager, id: string): Promise<OutboxStatus | null> {
    const row = await em.findOne(LeadOutboxSchema, { id }, { fields: ['status', 'attempts', 'lastError'] });
    return row && { status: row.status, attempts: row.attempts, lastError: row.lastError ?? null };
  }

  /** Rows not yet finished (due, waiting out a backoff, or under a pass): the backlog `/metrics` shows. */
  async countPending(): Promise<number> {
    return this.db.em().count(LeadOutboxSchema, { status: 'pending' });
  }

  /** Whether a live lease holds the row. Raw SQL: compared with the database's clock, which set the lease. */
  async isHeld(id: string): Promise<boolean> {
    const rows = await this.db
      .em()
      .execute<{ held: boolean }[]>(`select locked_until is not null and locked_until >= now() as held from lead_outbox where id = ?`, [id]);
    return rows[0]?.held === true;
  }
}
