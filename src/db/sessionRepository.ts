import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../errors.js';
import type { Channel } from '../leads/lead.js';
import { ConversationSessionSchema, type ConversationSession } from './entities/index.js';
import { instanceDeadSql } from './instanceRepository.js';
import { isUuid } from './isUuid.js';
import type { Database } from './orm.js';
import type { SessionPatch, SessionState } from './entities/sessionState.js';

export interface SessionRecord {
  id: string;
  channel: Channel;
  sessionKey: string;
  state: SessionState;
  createdAt: Date;
  updatedAt: Date;
}

/** A session a sweep has locked: idle and not in a settled phase. */
export interface IdleSession {
  id: string;
  sessionKey: string;
  state: Record<string, unknown>;
}

/** The conversation_sessions table. Methods taking `em` join the caller's transaction. */
export class SessionRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates the session for `sessionKey`, or shallow-merges `state` into the existing one; returns its id. Raw SQL:
   * an upsert whose conflict branch merges JSONB (`state || excluded.state`) is not expressible with em.upsert.
   */
  async open(input: { channel: Channel; sessionKey: string; state?: SessionPatch }, em: EntityManager = this.db.em()): Promise<string> {
    const rows = await em.execute<{ id: string }[]>(
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

  /**
   * Claims the call's media stream for `instanceId`: one conditional update that succeeds once per call (again for
   * the instance that holds it). `adopting`: the stream came where the call was not pre-warmed, so the call must
   * still be connecting and (with a token hash) the stream must carry the call's one-time token. `claimed` returns
   * what the webhook's instance wrote (lead id, caller); `taken` means another stream claimed it, or its token
   * differs, or the call is past connecting; `absent` means no webhook wrote a row.
   */
  async claimStream(
    sessionKey: string,
    claim: { instanceId: string; tokenHash: string | null; adopting: boolean },
    em: EntityManager = this.db.em(),
  ): Promise<{ status: 'claimed'; state: Record<string, unknown> } | { status: 'taken' | 'absent' }> {
    const rows = await em.execute<{ state: Record<string, unknown> }[]>(
      `update conversation_sessions
         set state = state || jsonb_build_object('instanceId', ?::text, 'streamClaimedBy', ?::text,
               'streamClaimedAt', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             updated_at = now()
       where session_key = ? and channel = 'voice'
         and (state->>'streamClaimedBy' is null or state->>'streamClaimedBy' = ?::text)
         and (not ?::boolean or coalesce(state->>'phase', 'connecting') = 'connecting')
         and (?::text is null or state->>'streamTokenHash' = ?::text)
       returning state`,
      [claim.instanceId, claim.instanceId, sessionKey, claim.instanceId, claim.adopting, claim.tokenHash, claim.tokenHash],
    );
    const row = rows[0];
    if (row !== undefined) return { status: 'claimed', state: row.state };
    const exists = await em.execute<{ n: string }[]>(`select count(*) as n from conversation_sessions where session_key = ?`, [sessionKey]);
    return Number(exists[0]?.n ?? 0) > 0 ? { status: 'taken' } : { status: 'absent' };
  }

  /** Of these calls' sessions, those whose stream another instance than `instanceId` claimed, with the claimer. */
  async streamsClaimedElsewhere(sessionKeys: readonly string[], instanceId: string): Promise<Map<string, string>> {
    const claimed = new Map<string, string>();
    if (sessionKeys.length === 0) return claimed;
    const rows = await this.db.em().execute<{ session_key: string; claimed_by: string }[]>(
      `select session_key, state->>'streamClaimedBy' as claimed_by from conversation_sessions
       where session_key in (${sessionKeys.map(() => '?').join(', ')}) and state->>'streamClaimedBy' is not null
         and state->>'streamClaimedBy' <> ?`,
      [...sessionKeys, instanceId],
    );
    for (const row of rows) claimed.set(row.session_key, row.claimed_by);
    return claimed;
  }

  /**
   * Shallow-merges `patch` into the session's state. Raw SQL: the merge happens in the database, so concurrent
   * patches (the call's writes, the outbox's outcome) never lose each other's keys.
   */
  async patch(sessionId: string, patch: SessionPatch, em: EntityManager = this.db.em()): Promise<void> {
    const result = await em.execute<{ affectedRows: number }>(
      `update conversation_sessions set state = state || ?::jsonb, updated_at = now() where id = ?`,
      [JSON.stringify(patch), sessionId],
      'run',
    );
    if (result.affectedRows === 0) throw new NotFoundError(`session ${sessionId} not found`);
  }

  async get(id: string): Promise<SessionRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.em().findOne(ConversationSessionSchema, { id });
    return row && sessionRecord(row);
  }

  async getByKey(sessionKey: string): Promise<SessionRecord | null> {
    const row = await this.db.em().findOne(ConversationSessionSchema, { sessionKey });
    return row && sessionRecord(row);
  }

  /**
   * The latest SMS conversation of `phone`; with `settledPhases`, only one not in them (the conversation a new text
   * continues). Raw SQL: it reads the number out of the JSONB state, on its own partial index.
   */
  async findSms(phone: string, options: { settledPhases?: readonly string[] } = {}): Promise<SessionRecord | null> {
    const settled = options.settledPhases ?? [];
    const rows = await this.db.em().execute<{ id: string }[]>(
      `select id from conversation_sessions where channel = 'sms' and state->>'phone' = ?
       ${settled.length > 0 ? `and coalesce(state->>'phase', '') not in (${settled.map(() => '?').join(', ')})` : ''}
       order by created_at desc limit 1`,
      [phone, ...settled],
    );
    const id = rows[0]?.id;
    return id === undefined ? null : this.get(id);
  }

  /**
   * Locks up to `limit` sessions of `channel` not in a settled phase, not written for `idleMs` and not keyed by one
   * of `excludeKeys` (sessions someone else answers for: a lead in the spool). Raw SQL: FOR UPDATE SKIP LOCKED lets
   * several instances sweep side by side without taking the same session.
   */
  async claimIdle(
    em: EntityManager,
    options: { channel: Channel; settledPhases: readonly string[]; idleMs: number; limit: number; excludeKeys?: readonly string[] },
  ): Promise<IdleSession[]> {
    const excluded = options.excludeKeys ?? [];
    const rows = await em.execute<{ id: string; session_key: string; state: Record<string, unknown> }[]>(
      `select id, session_key, state from conversation_sessions
       where channel = ? and coalesce(state->>'phase', '') not in (${options.settledPhases.map(() => '?').join(', ')})
         and updated_at < now() - (? * interval '1 millisecond')
         ${excluded.length === 0 ? '' : `and session_key not in (${excluded.map(() => '?').join(', ')})`}
       order by updated_at limit ? for update skip locked`,
      [options.channel, ...options.settledPhases, options.idleMs, ...excluded, options.limit],
    );
    return rows.map((row) => ({ id: row.id, sessionKey: row.session_key, state: row.state }));
  }

  /**
   * Locks up to `limit` voice sessions not in a settled phase whose process is gone: the instance that ran the
   * call is dead (stopped, or no heartbeat for `graceMs`), or it is `instanceId`'s previous run (last written before
   * this run started: the id was kept across a restart), or, run here or by no known instance, the session has not
   * been written for `graceMs`. A session of another live instance is that instance's to look after. Raw SQL: FOR
   * UPDATE SKIP LOCKED, and the instances' liveness read in the same statement.
   */
  async claimAbandonedCalls(
    em: EntityManager,
    options: { instanceId: string; settledPhases: readonly string[]; graceMs: number; limit: number; excludeKeys?: readonly string[] },
  ): Promise<IdleSession[]> {
    const owner = `s.state->>'instanceId'`;
    const excluded = options.excludeKeys ?? [];
    const rows = await em.execute<{ id: string; session_key: string; state: Record<string, unknown> }[]>(
      `select s.id, s.session_key, s.state from conversation_sessions s
       where s.channel = 'voice' and coalesce(s.state->>'phase', '') not in (${options.settledPhases.map(() => '?').join(', ')})
         and (
           (${owner} <> ? and ${instanceDeadSql(owner)})
           or (${owner} = ? and s.updated_at < (select started_at from instances where id = ?))
           or ((${owner} is null or ${owner} = ? or not exists (select 1 from instances where id = ${owner}))
               and s.updated_at < now() - (? * interval '1 millisecond'))
         )
         ${excluded.length === 0 ? '' : `and s.session_key not in (${excluded.map(() => '?').join(', ')})`}
       order by s.updated_at limit ? for update of s skip locked`,
      [
        ...options.settledPhases,
        options.instanceId,
        options.graceMs,
        options.instanceId,
        options.instanceId,
        options.instanceId,
        options.graceMs,
        ...excluded,
        options.limit,
      ],
    );
    return rows.map((row) => ({ id: row.id, sessionKey: row.session_key, state: row.state }));
  }
}

function sessionRecord(row: ConversationSession): SessionRecord {
  return { id: row.id, channel: row.channel, sessionKey: row.sessionKey, state: row.state, createdAt: row.createdAt, updatedAt: row.updatedAt };
}
