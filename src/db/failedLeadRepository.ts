import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, Lead } from '../leads/lead.js';
import { FailedLeadSchema, type FailedLead, type FailedRetry } from './entities/index.js';
import { isUuid } from './isUuid.js';
import type { Database } from './orm.js';

export interface FailedLeadRecord {
  id: string;
  leadData: Lead;
  errorMessage: string;
  channel: Channel;
  sessionId: string | null;
  attempts: number;
  /** Retries that failed again, oldest first; errorMessage keeps the first reason. */
  retries: FailedRetry[];
  lastAttemptAt: Date | null;
  resolvedAt: Date | null;
  /** The note of an operator who marked the lead resolved by hand (null when a retry delivered it). */
  resolutionNote: string | null;
  /** Who marked it resolved by hand: an operator's name, or `ADMIN_TOKEN`. */
  resolvedBy: string | null;
  createdAt: Date;
}

export interface NewFailedLead {
  id: string;
  lead: Lead;
  reason: string;
  channel: Channel;
  sessionId: string | null;
  /** NPA attempts already spent (0 for a lead refused before it was ever sent). */
  attempts: number;
}

/** The failed_leads table: leads that were not delivered, with the reason, until a retry resolves them. */
export class FailedLeadRepository {
  constructor(private readonly db: Database) {}

  async insert(em: EntityManager, row: NewFailedLead): Promise<void> {
    await em.insert(FailedLeadSchema, {
      id: row.id,
      leadData: row.lead,
      errorMessage: row.reason,
      channel: row.channel,
      session: row.sessionId,
      attempts: row.attempts,
      retries: [],
      lastAttemptAt: row.attempts > 0 ? raw('now()') : null,
      resolvedAt: null,
      createdAt: raw('now()'),
    });
  }

  /**
   * A lead the outbox finally failed to deliver: a new row, or (a row left by older code for the same id) the
   * reason and attempts brought up to date. Raw SQL: an upsert whose conflict branch adds to a column.
   */
  async recordFinalFailure(em: EntityManager, row: NewFailedLead): Promise<void> {
    await em.execute(
      `insert into failed_leads (id, lead_data, error_message, channel, session_id, attempts, last_attempt_at, resolved_at, created_at)
       values (?, ?::jsonb, ?, ?, ?, ?, now(), null, now())
       on conflict (id) do update set error_message = excluded.error_message, attempts = failed_leads.attempts + excluded.attempts,
         last_attempt_at = excluded.last_attempt_at`,
      [row.id, JSON.stringify(row.lead), row.reason, row.channel, row.sessionId, row.attempts],
      'run',
    );
  }

  /**
   * A retry of a failed lead failed again: its attempts go up and the retry is added to its history; the first
   * reason stays. Raw SQL: appending to a JSONB array in place.
   */
  async recordRetryFailure(em: EntityManager, id: string, attempts: number, reason: string): Promise<void> {
    const retry: FailedRetry = { at: new Date().toISOString(), reason, attempts };
    await em.execute(
      `update failed_leads set attempts = attempts + ?, last_attempt_at = now(), retries = retries || ?::jsonb where id = ?`,
      [attempts, JSON.stringify([retry]), id],
      'run',
    );
  }

  /**
   * A later reading of the lead's call (the voicemail left after the tone) gave better fields: the unresolved row
   * takes them, and its reason gets `note`. Returns false when the row is absent or already resolved.
   */
  async updateLead(em: EntityManager, id: string, lead: Lead, note: string): Promise<boolean> {
    const result = await em.execute<{ affectedRows: number }>(
      `update failed_leads set lead_data = ?::jsonb, error_message = error_message || '; ' || ? where id = ? and resolved_at is null`,
      [JSON.stringify(lead), note, id],
      'run',
    );
    return result.affectedRows > 0;
  }

  /** The lead was delivered after all: an unresolved failed row for it is resolved. */
  async resolve(em: EntityManager, id: string, attempts: number): Promise<void> {
    await em.nativeUpdate(
      FailedLeadSchema,
      { id, resolvedAt: null },
      { resolvedAt: raw('now()'), lastAttemptAt: raw('now()'), attempts: raw('attempts + ?', [attempts]) },
    );
  }

  /**
   * An operator marks the lead resolved without delivering it, with a note saying why. Returns false when the row
   * is absent or already resolved (so two operators cannot both resolve it).
   */
  async resolveWithNote(em: EntityManager, id: string, note: string, by: string): Promise<boolean> {
    const affected = await em.nativeUpdate(
      FailedLeadSchema,
      { id, resolvedAt: null },
      { resolvedAt: raw('now()'), resolutionNote: note, resolvedBy: by },
    );
    return affected > 0;
  }

  async find(em: EntityManager, id: string): Promise<FailedLeadRecord | null> {
    const row = await em.findOne(FailedLeadSchema, { id });
    return row && failedRecord(row);
  }

  async get(id: string): Promise<FailedLeadRecord | null> {
    if (!isUuid(id)) return null;
    return this.find(this.db.em(), id);
  }

  /** Failed leads, newest first; unresolved only unless `includeResolved`. */
  async list(options: { includeResolved?: boolean; limit?: number } = {}): Promise<FailedLeadRecord[]> {
    const rows = await this.db.em().find(FailedLeadSchema, options.includeResolved ? {} : { resolvedAt: null }, {
      orderBy: { createdAt: 'desc', id: 'asc' },
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    return rows.map(failedRecord);
  }

  /**
   * Appends `note` to the reason of the session's unresolved failed leads that do not mention `marker` yet; returns
   * the ids of the session's failed leads that now mention it. Raw SQL: the append is a string concatenation.
   */
  async appendNote(em: EntityManager, sessionId: string, note: string, marker: string): Promise<string[]> {
    await em.execute(
      `update failed_leads set error_message = error_message || '; ' || ?
       where session_id = ? and resolved_at is null and position(? in error_message) = 0`,
      [note, sessionId, marker],
      'run',
    );
    const rows = await em.execute<{ id: string }[]>(
      `select id from failed_leads where session_id = ? and position(? in error_message) > 0`,
      [sessionId, marker],
    );
    return rows.map((row) => row.id);
  }
}

function failedRecord(row: FailedLead): FailedLeadRecord {
  return {
    id: row.id,
    leadData: row.leadData,
    errorMessage: row.errorMessage,
    channel: row.channel,
    sessionId: row.session?.id ?? null,
    attempts: row.attempts,
    retries: row.retries,
    lastAttemptAt: row.lastAttemptAt ?? null,
    resolvedAt: row.resolvedAt ?? null,
    resolutionNote: row.resolutionNote ?? null,
    resolvedBy: row.resolvedBy ?? null,
    createdAt: row.createdAt,
  };
}
