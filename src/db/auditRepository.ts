import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntrySchema, type AuditAction, type AuditEntryRow } from './entities/index.js';
import { isUuid } from './isUuid.js';
import type { Database } from './orm.js';

/** What the audit log calls the environment's ADMIN_TOKEN (automation), in place of an operator's name. */
export const ADMIN_TOKEN_ACTOR = 'ADMIN_TOKEN';
/** What it calls the `leads` command run on the server's machine (whoever has its shell and database). */
export const CLI_ACTOR = 'CLI';

/** One action to record. */
export interface AuditEntry {
  /** The operator's name, ADMIN_TOKEN_ACTOR or CLI_ACTOR. */
  operator: string;
  action: AuditAction;
  leadId?: string | null;
  /** The conversation's key (a CallSid, or `sms:<lead id>`). */
  sessionKey?: string | null;
  /** What changed (for an edit: the fields before and after). */
  detail?: Record<string, unknown>;
}

export interface AuditRecord {
  id: string;
  at: Date;
  operator: string;
  action: string;
  leadId: string | null;
  sessionKey: string | null;
  detail: Record<string, unknown>;
}

/** Default and largest page of `recent`. */
export const AUDIT_RECENT_DEFAULT = 100;
export const AUDIT_RECENT_MAX = 1_000;

/** The audit_log table: append only. */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /** Records an entry; pass the action's own `em` so the entry commits (or not) with what it describes. */
  async record(entry: AuditEntry, em: EntityManager = this.db.em()): Promise<AuditRecord> {
    const id = randomUUID();
    const leadId = entry.leadId ?? null;
    const sessionKey = entry.sessionKey ?? null;
    const detail = entry.detail ?? {};
    // Raw SQL: the database's clock_timestamp() (microseconds, and distinct within one transaction, unlike now())
    // orders entries made in quick succession, across instances.
    const rows = await em.execute<Array<{ at: Date | string }>>(
      `insert into audit_log (id, at, operator, action, lead_id, session_key, detail)
       values (?, clock_timestamp(), ?, ?, ?, ?, ?::jsonb) returning at`,
      [id, entry.operator, entry.action, leadId, sessionKey, JSON.stringify(detail)],
    );
    const at = rows[0]?.at;
    if (at === undefined) throw new Error('audit insert returned no row');
    return { id, at: new Date(at), operator: entry.operator, action: entry.action, leadId, sessionKey, detail };
  }

  /** Everything done to one lead, oldest first. */
  async forLead(leadId: string): Promise<AuditRecord[]> {
    if (!isUuid(leadId)) return [];
    const rows = await this.db.em().find(AuditEntrySchema, { leadId }, { orderBy: { at: 'asc', id: 'asc' } });
    return rows.map(auditRecord);
  }

  /** Everything done to one conversation: to its lead, or to the call itself (a recording played), oldest first. */
  async forConversation(leadId: string | null, sessionKey: string): Promise<AuditRecord[]> {
    const where = leadId !== null && isUuid(leadId) ? { $or: [{ leadId }, { sessionKey }] } : { sessionKey };
    const rows = await this.db.em().find(AuditEntrySchema, where, { orderBy: { at: 'asc', id: 'asc' } });
    return rows.map(auditRecord);
  }

  /** The latest entries, newest first. */
  async recent(options: { limit?: number } = {}): Promise<AuditRecord[]> {
    const limit = Math.max(1, Math.min(AUDIT_RECENT_MAX, Math.floor(options.limit ?? AUDIT_RECENT_DEFAULT)));
    const rows = await this.db.em().find(AuditEntrySchema, {}, { orderBy: { at: 'desc', id: 'desc' }, limit });
    return rows.map(auditRecord);
  }
}

function auditRecord(row: AuditEntryRow): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    operator: row.operator,
    action: row.action,
    leadId: row.leadId ?? null,
    sessionKey: row.sessionKey ?? null,
    detail: row.detail,
  };
}
