import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, Lead, LeadField } from '../leads/lead.js';
import { LeadDecisionSchema, type LeadDecisionRow, type ReviewState } from './entities/index.js';
import { isUuid } from './isUuid.js';
import type { Database } from './orm.js';

/** A lead's decision as stored: each field's verdict (`fields`, see src/extraction/fieldVote.ts) and its review. */
export interface DecisionRecord {
  id: string;
  channel: Channel;
  sessionId: string | null;
  externalId: string;
  /** The decided lead (for a disputed field: the preferred witness's value, until a person decides). */
  leadData: Lead;
  fields: Record<string, unknown>;
  disputed: LeadField[];
  reasked: boolean;
  review: ReviewState;
  reviewNote: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

export interface NewDecision {
  id: string;
  channel: Channel;
  sessionId: string | null;
  externalId: string;
  lead: Lead;
  fields: Record<string, unknown>;
  disputed: readonly LeadField[];
  reasked: boolean;
  review: ReviewState;
}

/** The lead_decisions table: every decided lead's provenance, and the review queue (review held or sent). */
export class DecisionRepository {
  constructor(private readonly db: Database) {}

  async insert(em: EntityManager, row: NewDecision): Promise<void> {
    await em.insert(LeadDecisionSchema, {
      id: row.id,
      channel: row.channel,
      session: row.sessionId,
      externalId: row.externalId,
      leadData: row.lead,
      fields: row.fields,
      disputed: [...row.disputed],
      reasked: row.reasked,
      review: row.review,
      reviewNote: null,
      decidedBy: null,
      decidedAt: null,
      createdAt: raw('now()'),
    });
  }

  async find(em: EntityManager, id: string): Promise<DecisionRecord | null> {
    if (!isUuid(id)) return null;
    const row = await em.findOne(LeadDecisionSchema, { id });
    return row && decisionRecord(row);
  }

  async get(id: string): Promise<DecisionRecord | null> {
    return this.find(this.db.em(), id);
  }

  /** The decision row locked for an update in `em`'s transaction (a review decision); null when there is none. */
  async lock(em: EntityManager, id: string): Promise<DecisionRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await em.execute<Array<{ id: string }>>('select id from lead_decisions where id = ? for update', [id]);
    if (rows.length === 0) return null;
    return this.find(em, id);
  }

  /** Leads waiting for a person (held) or sent flagged (sent), oldest first: the review queue. */
  async openReviews(options: { limit?: number } = {}): Promise<DecisionRecord[]> {
    const rows = await this.db.em().find(
      LeadDecisionSchema,
      { review: { $in: ['held', 'sent'] } },
      { orderBy: { createdAt: 'asc', id: 'asc' }, ...(options.limit === undefined ? {} : { limit: options.limit }) },
    );
    return rows.map(decisionRecord);
  }

  /** How many leads are in the review queue (held or sent flagged): one count, for `/metrics`. */
  async countOpenReviews(): Promise<number> {
    return this.db.em().count(LeadDecisionSchema, { review: { $in: ['held', 'sent'] } });
  }

  /** Records a person's decision on a lead in review. */
  async decide(
    em: EntityManager,
    id: string,
    change: { review: 'approved' | 'rejected'; lead?: Lead; note: string | null; by: string },
  ): Promise<void> {
    await em.nativeUpdate(
      LeadDecisionSchema,
      { id },
      {
        review: change.review,
        ...(change.lead === undefined ? {} : { leadData: change.lead }),
        reviewNote: change.note,
        decidedBy: change.by,
        decidedAt: raw('now()'),
      },
    );
  }

  /** The decisions of these leads, by id (leads decided before decisions were kept have none). */
  async forLeads(ids: readonly string[]): Promise<Map<string, DecisionRecord>> {
    const wanted = ids.filter(isUuid);
    if (wanted.length === 0) return new Map();
    const rows = await this.db.em().find(LeadDecisionSchema, { id: { $in: wanted } });
    return new Map(rows.map((row) => [row.id, decisionRecord(row)]));
  }

  /** Whether the lead is held for review (disputed, not sent). */
  async isHeld(em: EntityManager, id: string): Promise<boolean> {
    return (await em.count(LeadDecisionSchema, { id, review: 'held' })) > 0;
  }
}

function decisionRecord(row: LeadDecisionRow): DecisionRecord {
  return {
    id: row.id,
    channel: row.channel,
    sessionId: row.session?.id ?? null,
    externalId: row.externalId,
    leadData: row.leadData,
    fields: row.fields,
    disputed: row.disputed,
    reasked: row.reasked,
    review: row.review,
    reviewNote: row.reviewNote ?? null,
    decidedBy: row.decidedBy ?? null,
    decidedAt: row.decidedAt ?? null,
    createdAt: row.createdAt,
  };
}
