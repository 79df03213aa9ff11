import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../errors.js';
import type { Database } from './orm.js';
import {
  ConversationSessionSchema,
  FailedLeadSchema,
  SucceededLeadSchema,
  type Channel,
  type FailedLead,
  type SessionState,
  type SucceededLead,
} from './entities/index.js';
import type { Lead } from '../leads/lead.js';

export interface SessionRecord {
  id: string;
  channel: Channel;
  sessionKey: string;
  state: SessionState;
  createdAt: Date;
  updatedAt: Date;
}

export interface FailedLeadRecord {
  id: string;
  leadData: Lead;
  errorMessage: string;
  channel: Channel;
  sessionId: string | null;
  attempts: number;
  lastAttemptAt: Date | null;
  resolvedAt: Date | null;
  createdAt: Date;
}

export interface SucceededLeadRecord {
  id: string;
  leadData: Lead;
  channel: Channel;
  sessionId: string | null;
  npaResponse: Record<string, unknown>;
  createdAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a well-formed uuid (anything else cannot be a row id, and PostgreSQL would reject it). */
export const isUuid = (value: string): boolean => UUID.test(value);

/** Reads and writes conversation sessions and lead outcomes. Methods taking `em` join the caller's transaction. */
export class LeadStore {
  constructor(private readonly db: Database) {}

  /** Creates the session for `sessionKey`, or shallow-merges `state` into the existing one; returns its id. */
  async openSession(input: { channel: Channel; sessionKey: string; state?: SessionState }): Promise<string> {
    const rows = await this.db.em().execute<{ id: string }[]>(
      `insert into conversation_sessions (id, channel, session_key, state, created_at, updated_at)
       values (?, ?, ?, ?::jsonb, now(), now())
       on conflict (session_key) do update
         set state = conversation_sessions.state || excluded.state, updated_at = now()
       returning id`,
      [randomUUID(), input.channel, input.sessionKey, JSON.stringify(input.state ?? {})],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('session upsert returned no row');
    return id;
  }

  /** Shallow-merges `patch` into the session's state (in SQL, so concurrent patches do not lose each other). */
  async updateSessionState(sessionId: string, patch: SessionState, em: EntityManager = this.db.em()): Promise<void> {
    const result = await em.execute<{ affectedRows: number }>(
      `update conversation_sessions set state = state || ?::jsonb, updated_at = now() where id = ?`,
      [JSON.stringify(patch), sessionId],
      'run',
    );
    if (result.affectedRows === 0) throw new NotFoundError(`session ${sessionId} not found`);
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.em().findOne(ConversationSessionSchema, { id });
    return row && { id: row.id, channel: row.channel, sessionKey: row.sessionKey, state: row.state, createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  async getSessionByKey(sessionKey: string): Promise<SessionRecord | null> {
    const row = await this.db.em().findOne(ConversationSessionSchema, { sessionKey });
    return row && { id: row.id, channel: row.channel, sessionKey: row.sessionKey, state: row.state, createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  /** Failed leads, newest first; unresolved only unless `includeResolved`. */
  async listFailed(options: { includeResolved?: boolean; limit?: number } = {}): Promise<FailedLeadRecord[]> {
    const rows = await this.db
      .em()
      .find(FailedLeadSchema, options.includeResolved ? {} : { resolvedAt: null }, {
        orderBy: { createdAt: 'desc', id: 'asc' },
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      });
    return rows.map(failedRecord);
  }

  async getFailed(id: string): Promise<FailedLeadRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.em().findOne(FailedLeadSchema, { id });
    return row && failedRecord(row);
  }

  /** Succeeded leads, newest first, optionally only those created at or after `since`. */
  async listSucceeded(options: { since?: Date; limit?: number } = {}): Promise<SucceededLeadRecord[]> {
    const rows = await this.db
      .em()
      .find(SucceededLeadSchema, options.since ? { createdAt: { $gte: options.since } } : {}, {
        orderBy: { createdAt: 'desc', id: 'asc' },
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      });
    return rows.map(succeededRecord);
  }

  async getSucceeded(id: string): Promise<SucceededLeadRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.em().findOne(SucceededLeadSchema, { id });
    return row && succeededRecord(row);
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
    lastAttemptAt: row.lastAttemptAt ?? null,
    resolvedAt: row.resolvedAt ?? null,
    createdAt: row.createdAt,
  };
}

function succeededRecord(row: SucceededLead): SucceededLeadRecord {
  return {
    id: row.id,
    leadData: row.leadData,
    channel: row.channel,
    sessionId: row.session?.id ?? null,
    npaResponse: row.npaResponse,
    createdAt: row.createdAt,
  };
}
