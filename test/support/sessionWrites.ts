import type { Database } from '../../src/db/orm.js';

/** One write that reached a conversation_sessions row, as the database recorded it. */
export interface SessionWrite {
  op: 'INSERT' | 'UPDATE';
  /** The row's state after the write. */
  state: Record<string, unknown>;
  updatedAt: Date;
}

/** A write the database holds until `release()`. */
export interface HeldWrite {
  release(): Promise<void>;
}

/**
 * Watches the writes to conversation_sessions in the test database itself, so a session's writes are seen as
 * PostgreSQL received them: an AFTER trigger logs every insert and update of a row (by session_key), and a BEFORE
 * trigger can hold the next write of one session (optionally: the one that writes a given phase) on an advisory
 * lock the test owns, until the test releases it. Other sessions' writes go on untouched.
 */
export class SessionWrites {
  private lockKeys = 0;

  private constructor(private readonly db: Database) {}

  /** Installs the log and hold tables and their triggers (idempotent). */
  static async install(db: Database): Promise<SessionWrites> {
    const sql = db.em().getConnection();
    await sql.execute(`create table if not exists test_session_writes (
      seq bigserial primary key, session_key text not null, op text not null, state jsonb not null,
      updated_at timestamptz not null)`);
    await sql.execute(`create table if not exists test_session_holds (
      id bigserial primary key, session_key text not null, phase text, lock_key bigint not null)`);
    await sql.execute(`create or replace function test_log_session_write() returns trigger language plpgsql as $$
      begin
        insert into test_session_writes (session_key, op, state, updated_at)
          values (new.session_key, tg_op, new.state, new.updated_at);
        return new;
      end $$`);
    await sql.execute(`create or replace function test_hold_session_write() returns trigger language plpgsql as $$
      declare hold record;
      begin
        select h.id, h.lock_key into hold from test_session_holds h
          where h.session_key = new.session_key and (h.phase is null or h.phase = new.state->>'phase')
          order by h.id limit 1;
        if found then
          delete from test_session_holds where id = hold.id;
          perform pg_advisory_xact_lock(hold.lock_key);
        end if;
        return new;
      end $$`);
    await sql.execute(`drop trigger if exists test_log_session_write on conversation_sessions`);
    await sql.execute(`create trigger test_log_session_write after insert or update on conversation_sessions
      for each row execute function test_log_session_write()`);
    await sql.execute(`drop trigger if exists test_hold_session_write on conversation_sessions`);
    await sql.execute(`create trigger test_hold_session_write before insert or update on conversation_sessions
      for each row execute function test_hold_session_write()`);
    return new SessionWrites(db);
  }

  /** The writes that reached the session `sessionKey`, in order. */
  async of(sessionKey: string): Promise<SessionWrite[]> {
    const rows = await this.db
      .em()
      .getConnection()
      .execute<Array<{ op: 'INSERT' | 'UPDATE'; state: Record<string, unknown>; updated_at: Date }>>(
        `select op, state, updated_at from test_session_writes where session_key = ? order by seq`,
        [sessionKey],
      );
    return rows.map((row) => ({ op: row.op, state: row.state, updatedAt: new Date(row.updated_at) }));
  }

  /** Whether a write is waiting on a hold right now (it reached the database and is parked there). */
  async writeIsHeld(): Promise<boolean> {
    const rows = await this.db
      .em()
      .getConnection()
      .execute<Array<{ waiting: number }>>(
        `select count(*)::int as waiting from pg_locks l join pg_database d on d.oid = l.database
         where l.locktype = 'advisory' and not l.granted and d.datname = current_database()`,
      );
    return (rows[0]?.waiting ?? 0) > 0;
  }

  /**
   * Holds the next write of session `sessionKey` (with `phase`: the next one writing that phase) until released.
   * Resolves once the hold is in place.
   */
  async hold(sessionKey: string, phase: string | null = null): Promise<HeldWrite> {
    const lockKey = process.pid * 1_000 + ++this.lockKeys;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // The lock lives as long as this transaction: one pooled connection, parked until release.
    const holder = this.db.em().transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?)', [lockKey]);
      locked();
      await released;
    });
    await Promise.race([isLocked, holder]);
    await this.db
      .em()
      .getConnection()
      .execute('insert into test_session_holds (session_key, phase, lock_key) values (?, ?, ?)', [sessionKey, phase, lockKey]);
    return {
      release: async () => {
        release();
        await holder;
      },
    };
  }
}
