import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, Lead } from '../leads/lead.js';
import { SucceededLeadSchema, type SucceededLead } from './entities/index.js';
import { isUuid } from './isUuid.js';
import type { Database } from './orm.js';

export interface SucceededLeadRecord {
  id: string;
  leadData: Lead;
  channel: Channel;
  sessionId: string | null;
  npaResponse: Record<string, unknown>;
  createdAt: Date;
}

/** The succeeded_leads table: leads the NPA API accepted. */
export class SucceededLeadRepository {
  constructor(private readonly db: Database) {}

  async insert(
    em: EntityManager,
    row: { id: string; lead: Lead; channel: Channel; sessionId: string | null; npaResponse: Record<string, unknown> },
  ): Promise<void> {
    await em.insert(SucceededLeadSchema, {
      id: row.id,
      leadData: row.lead,
      channel: row.channel,
      session: row.sessionId,
      npaResponse: row.npaResponse,
      createdAt: raw('now()'),
    });
  }

  async exists(em: EntityManager, id: string): Promise<boolean> {
    return (await em.count(SucceededLeadSchema, { id })) > 0;
  }

  async get(id: string): Promise<SucceededLeadRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.em().findOne(SucceededLeadSchema, { id });
    return row && succeededRecord(row);
  }

  /** Succeeded leads, newest first, optionally only those created at or after `since`. */
  async list(options: { since?: Date; limit?: number } = {}): Promise<SucceededLeadRecord[]> {
    const rows = await this.db.em().find(SucceededLeadSchema, options.since ? { createdAt: { $gte: options.since } } : {}, {
      orderBy: { createdAt: 'desc', id: 'asc' },
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    return rows.map(succeededRecord);
  }
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
