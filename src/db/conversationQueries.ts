import type { Channel, Lead } from '../leads/lead.js';
import { instanceAliveSql } from './instanceRepository.js';
import type { Database } from './orm.js';

/**
 * The operations console's reads over conversation_sessions and the lead tables: searches and aggregates the
 * repositories do not offer. Raw SQL throughout: the values live in the JSONB `state`. Every value is a bound
 * parameter; only fixed fragments of this file are spliced into the statements.
 */

/** The outcomes a session can read as (see `outcomeSql`). */
export const CONVERSATION_OUTCOMES = ['succeeded', 'failed', 'review', 'pending', 'lost', 'live'] as const;
export type ConversationOutcome = (typeof CONVERSATION_OUTCOMES)[number];

/** The phases a session of each channel ends in: any other phase is a conversation still under way. */
export interface SettledPhases {
  voice: readonly string[];
  sms: readonly string[];
}

export interface ConversationSearch {
  /** Digits (and phone punctuation only): part of a phone number; anything else: part of the name or session key. */
  q?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  channel?: Channel | undefined;
  outcome?: ConversationOutcome | undefined;
  limit: number;
  offset: number;
}

/** One session as the list shows it, straight from its row (no percentiles yet: `responseMs` is the raw list). */
export interface ConversationSummaryRecord {
  id: string;
  sessionKey: string;
  channel: Channel;
  createdAt: Date;
  updatedAt: Date;
  callSid: string | null;
  phase: string | null;
  outcome: ConversationOutcome | null;
  reason: string | null;
  leadId: string | null;
  callerPhone: string | null;
  name: string | null;
  durationMs: number | null;
  greetingMs: number | null;
  /** The quality record's response waits; whatever is stored there (the caller validates it). */
  responseMs: unknown;
  bargeIns: number | null;
  hasRecording: boolean;
}

/** A lead's outbox row as the console shows it: where its delivery stands and when each thing happened. */
export interface OutboxRecord {
  id: string;
  kind: 'new' | 'retry';
  status: 'pending' | 'succeeded' | 'failed';
  /** Passes the outbox made (each one up to NPA_MAX_ATTEMPTS requests) and the requests they sent. */
  attempts: number;
  npaAttempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** The lead as the outbox sends it (a retry's row holds the values it was retried with). */
  lead: Lead;
  channel: Channel;
  externalId: string;
  createdAt: Date;
  updatedAt: Date;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  finishedAt: Date | null;
}

/** Voice sessions started in one hour (UTC), by outcome. */
export interface HourlyOutcomes {
  hour: Date;
  outcome: ConversationOutcome | null;
  calls: number;
}

/** Leads decided in a window: how many went to review (held or sent flagged, whatever was decided since). */
export interface ReviewCounts {
  leads: number;
  inReview: number;
  /** Still waiting for a person (held, or sent flagged and not acknowledged). */
  open: number;
}

/** A JSONB number at `path` under the state, or null when it is absent or not a number. */
const jsonNumber = (path: string): string => `case when jsonb_typeof(s.state${path}) = 'number' then (s.state${path})::float8 end`;

const placeholders = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

/**
 * The outcome a session reads as, one rule for the list, its filter and the report: the outbox's word on the lead
 * (`state.outcome`); else `lost` when the call could not keep its lead; else `live` while the phase is not a settled
 * one of its channel; else null. A settled list that is empty matches no phase (`'' not in ('')` is false).
 */
function outcomeSql(settled: SettledPhases): { sql: string; params: string[] } {
  const voice = settled.voice.length > 0 ? settled.voice : [''];
  const sms = settled.sms.length > 0 ? settled.sms : [''];
  return {
    sql: `case
      when s.state->>'outcome' in ('succeeded', 'failed', 'review', 'pending') then s.state->>'outcome'
      when s.state->>'lostReason' is not null or s.state->'quality'->>'outcome' = 'lost' then 'lost'
      when s.channel = 'voice' and coalesce(s.state->>'phase', '') not in (${placeholders(voice)}) then 'live'
      when s.channel = 'sms' and coalesce(s.state->>'phase', '') not in (${placeholders(sms)}) then 'live'
    end`,
    params: [...voice, ...sms],
  };
}

/** `%value%` for ILIKE/LIKE, with the pattern characters of `value` taken literally. */
const containing = (value: string): string => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const PHONE_QUERY = /^[\d\s+().-]+$/;

/** A call under way on another live instance, as its session row has it. */
export interface LiveElsewhereRecord {
  sessionKey: string;
  createdAt: Date;
  state: Record<string, unknown>;
}

export class ConversationQueries {
  constructor(private readonly db: Database) {}

  /**
   * Calls under way on other instances that are alive (stopped_at null, a heartbeat within `graceMs`): voice sessions
   * not in a settled phase, owned by another instance, written to in the last `recentMs`. Newest first, at most 200.
   */
  async liveElsewhere(options: { instanceId: string; settledPhases: readonly string[]; graceMs: number; recentMs: number }): Promise<LiveElsewhereRecord[]> {
    const owner = `s.state->>'instanceId'`;
    const rows = await this.db.em().execute<Array<{ session_key: string; created_at: Date | string; state: Record<string, unknown> }>>(
      `select s.session_key, s.created_at, s.state from conversation_sessions s
       where s.channel = 'voice' and coalesce(s.state->>'phase', '') not in (${options.settledPhases.map(() => '?').join(', ')})
         and ${owner} <> ?
         and ${instanceAliveSql(owner)}
         and s.updated_at >= now() - (? * interval '1 millisecond')
       order by s.created_at desc limit 200`,
      [...options.settledPhases, options.instanceId, options.graceMs, options.recentMs],
    );
    return rows.map((r) => ({ sessionKey: r.session_key, createdAt: new Date(r.created_at), state: r.state }));
  }

  /** Sessions matching `search`, newest first, and how many match in all. */
  async list(search: ConversationSearch, settled: SettledPhases): Promise<{ rows: ConversationSummaryRecord[]; total: number }> {
    const outcome = outcomeSql(settled);
    const where: string[] = [];
    const params: unknown[] = [];
    const q = search.q?.trim() ?? '';
    if (q !== '' && PHONE_QUERY.test(q) && /\d/.test(q)) {
      const digits = containing(q.replace(/\D/g, ''));
      where.push(
        `(${["s.state->>'callerPhone'", "s.state->>'phone'", "s.state->'fields'->>'phone'"]
          .map((path) => `regexp_replace(coalesce(${path}, ''), '[^0-9]', '', 'g') like ?`)
          .join(' or ')})`,
      );
      params.push(digits, digits, digits);
    } else if (q !== '') {
      const text = containing(q);
      where.push(`(${NAME_SQL} ilike ? escape '\\' or s.session_key ilike ? escape '\\')`);
      params.push(text, text);
    }
    if (search.from !== undefined) {
      where.push('s.created_at >= ?');
      params.push(search.from);
    }
    if (search.to !== undefined) {
      where.push('s.created_at < ?');
      params.push(search.to);
    }
    if (search.channel !== undefined) {
      where.push('s.channel = ?');
      params.push(search.channel);
    }
    if (search.outcome !== undefined) {
      where.push(`(${outcome.sql}) = ?`);
      params.push(...outcome.params, search.outcome);
    }
    const clause = where.length === 0 ? '' : `where ${where.join(' and ')}`;
    const em = this.db.em();
    const [rows, counted] = await Promise.all([
      em.execute<SummaryRow[]>(
        `${summarySelect(outcome.sql)} ${clause} order by s.created_at desc, s.id desc limit ? offset ?`,
        [...outcome.params, ...params, search.limit, search.offset],
      ),
      em.execute<Array<{ n: number }>>(`select count(*)::int as n from conversation_sessions s ${clause}`, params),
    ]);
    return { rows: rows.map(summaryRecord), total: counted[0]?.n ?? 0 };
  }

  /** One session as the list shows it; null when there is none with this id. */
  async summary(sessionId: string, settled: SettledPhases): Promise<ConversationSummaryRecord | null> {
    const outcome = outcomeSql(settled);
    const rows = await this.db.em().execute<SummaryRow[]>(`${summarySelect(outcome.sql)} where s.id = ?`, [...outcome.params, sessionId]);
    const row = rows[0];
    return row === undefined ? null : summaryRecord(row);
  }

  /** The lead's outbox row (none for a lead refused before sending, or held for review). */
  async outboxRow(leadId: string): Promise<OutboxRecord | null> {
    const rows = await this.db.em().execute<OutboxRowSql[]>(
      `select id, kind, status, attempts, npa_attempts, max_attempts, last_error, lead_data, channel, external_id, created_at, updated_at,
              next_attempt_at, locked_until, finished_at
       from lead_outbox where id = ?`,
      [leadId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      id: row.id,
      kind: row.kind,
      status: row.status,
      attempts: row.attempts,
      npaAttempts: row.npa_attempts,
      maxAttempts: row.max_attempts,
      lastError: row.last_error,
      lead: row.lead_data,
      channel: row.channel,
      externalId: row.external_id,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      nextAttemptAt: new Date(row.next_attempt_at),
      lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    };
  }

  /** Voice sessions started in [from, to), counted per UTC hour and outcome (hours with none are absent). */
  async hourlyOutcomes(window: { from: Date; to: Date }, settled: SettledPhases): Promise<HourlyOutcomes[]> {
    const outcome = outcomeSql(settled);
    const rows = await this.db.em().execute<Array<{ hour: Date | string; outcome: ConversationOutcome | null; calls: number }>>(
      `select date_trunc('hour', s.created_at, 'UTC') as hour, (${outcome.sql}) as outcome, count(*)::int as calls
       from conversation_sessions s
       where s.channel = 'voice' and s.created_at >= ? and s.created_at < ?
       group by 1, 2 order by 1`,
      [...outcome.params, window.from, window.to],
    );
    return rows.map((row) => ({ hour: new Date(row.hour), outcome: row.outcome, calls: row.calls }));
  }

  /** The stored quality records of the voice sessions started in [from, to), unparsed, oldest first. */
  async qualityRecords(window: { from: Date; to: Date }): Promise<Array<{ sessionId: string; createdAt: Date; quality: unknown }>> {
    const rows = await this.db.em().execute<Array<{ id: string; created_at: Date | string; quality: unknown }>>(
      `select s.id, s.created_at, s.state->'quality' as quality from conversation_sessions s
       where s.channel = 'voice' and s.created_at >= ? and s.created_at < ? and s.state->'quality' is not null
       order by s.created_at, s.id`,
      [window.from, window.to],
    );
    return rows.map((row) => ({ sessionId: row.id, createdAt: new Date(row.created_at), quality: row.quality }));
  }

  /** The leads decided in [from, to) (both channels) and how many of them went to review. */
  async reviewCounts(window: { from: Date; to: Date }): Promise<ReviewCounts> {
    const rows = await this.db.em().execute<Array<{ leads: number; in_review: number; open: number }>>(
      `select count(*)::int as leads,
              count(*) filter (where review <> 'none')::int as in_review,
              count(*) filter (where review in ('held', 'sent'))::int as open
       from lead_decisions where created_at >= ? and created_at < ?`,
      [window.from, window.to],
    );
    const row = rows[0];
    return { leads: row?.leads ?? 0, inReview: row?.in_review ?? 0, open: row?.open ?? 0 };
  }
}

/** The caller's name: the decided lead's, else the live capture's. */
const NAME_SQL = `coalesce(nullif(s.state->'fields'->>'full_name', ''), s.state->'captured'->'full_name'->>'value')`;

function summarySelect(outcome: string): string {
  return `select s.id, s.session_key, s.channel, s.created_at, s.updated_at,
      case when s.channel = 'voice' then coalesce(s.state->>'callSid', s.session_key) end as call_sid,
      s.state->>'phase' as phase,
      (${outcome}) as outcome,
      coalesce(s.state->>'reason', s.state->>'lostReason', s.state->>'failureReason') as reason,
      s.state->>'leadId' as lead_id,
      coalesce(s.state->>'callerPhone', s.state->>'phone') as caller_phone,
      ${NAME_SQL} as name,
      ${jsonNumber("->'quality'->'durationMs'")} as duration_ms,
      ${jsonNumber("->'quality'->'waits'->'greetingMs'")} as greeting_ms,
      s.state->'quality'->'waits'->'responseMs' as response_ms,
      ${jsonNumber("->'quality'->'bargeIns'")} as barge_ins,
      exists (select 1 from call_recordings r where r.session_id = s.id and r.status <> 'deleted') as has_recording
    from conversation_sessions s`;
}

interface SummaryRow {
  id: string;
  session_key: string;
  channel: Channel;
  created_at: Date | string;
  updated_at: Date | string;
  call_sid: string | null;
  phase: string | null;
  outcome: ConversationOutcome | null;
  reason: string | null;
  lead_id: string | null;
  caller_phone: string | null;
  name: string | null;
  duration_ms: number | null;
  greeting_ms: number | null;
  response_ms: unknown;
  barge_ins: number | null;
  has_recording: boolean;
}

interface OutboxRowSql {
  id: string;
  kind: 'new' | 'retry';
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  npa_attempts: number;
  max_attempts: number;
  last_error: string | null;
  lead_data: Lead;
  channel: Channel;
  external_id: string;
  created_at: Date | string;
  updated_at: Date | string;
  next_attempt_at: Date | string;
  locked_until: Date | string | null;
  finished_at: Date | string | null;
}

function summaryRecord(row: SummaryRow): ConversationSummaryRecord {
  return {
    id: row.id,
    sessionKey: row.session_key,
    channel: row.channel,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    callSid: row.call_sid,
    phase: row.phase,
    outcome: row.outcome,
    reason: row.reason,
    leadId: row.lead_id,
    callerPhone: row.caller_phone,
    name: row.name,
    durationMs: row.duration_ms,
    greetingMs: row.greeting_ms,
    responseMs: row.response_ms,
    bargeIns: row.barge_ins,
    hasRecording: row.has_recording,
  };
}
