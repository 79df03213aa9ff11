import type { Database } from '../../src/db/orm.js';

/** The lead tables a refusal can target: the outbox (where a complete lead is made durable) and the final rows. */
export type LeadTable = 'lead_outbox' | 'succeeded_leads' | 'failed_leads';
const LEAD_TABLES: readonly LeadTable[] = ['lead_outbox', 'succeeded_leads', 'failed_leads'];

/**
 * Makes the test database itself refuse (or hold) lead inserts for one call, so "the database refused the lead" or
 * "the database was slow to take it" happens for real (inside the outbox's transaction), per call, while other calls
 * on the same database go on untouched: a BEFORE INSERT trigger on the lead tables looks the row's session up by its
 * session_key (the CallSid) and, while that call has refusals left for that table, raises or (with a delay) sleeps
 * in that one transaction (a row trigger: no table lock, other calls' inserts are not held).
 */
export class LeadRefusals {
  private constructor(private readonly db: Database) {}

  /** Installs the control table and the triggers (idempotent). */
  static async install(db: Database): Promise<LeadRefusals> {
    const sql = db.em().getConnection();
    await sql.execute(`create table if not exists test_lead_refusals (
      session_key text not null, table_name text not null, refusals int not null, counter text not null,
      delay_ms int not null default 0, then_fail boolean not null default false, errcode text not null default '08006',
      primary key (session_key, table_name))`);
    // The attempt counter is a sequence: nextval survives the rollback of the refused transaction.
    await sql.execute(`create or replace function test_refuse_lead() returns trigger language plpgsql as $$
      declare rule record;
      begin
        select r.refusals, r.counter, r.delay_ms, r.then_fail, r.errcode into rule from test_lead_refusals r
          join conversation_sessions s on (s.session_key = r.session_key or (s.channel = 'sms' and s.state->>'phone' = r.session_key))
          where s.id = new.session_id and r.table_name = tg_table_name;
        if found and nextval(rule.counter::regclass) <= rule.refusals then
          if rule.delay_ms > 0 then
            perform pg_sleep(rule.delay_ms / 1000.0);
          end if;
          if rule.delay_ms = 0 or rule.then_fail then
            raise exception using errcode = rule.errcode, message = format('test refusal: %s insert refused', tg_table_name);
          end if;
        end if;
        return new;
      end $$`);
    for (const table of LEAD_TABLES) {
      await sql.execute(`drop trigger if exists test_refuse_lead on ${table}`);
      await sql.execute(
        `create trigger test_refuse_lead before insert on ${table} for each row execute function test_refuse_lead()`,
      );
    }
    return new LeadRefusals(db);
  }

  /** Lifts every refusal of `sessionKey`: its next inserts go through. */
  async lift(sessionKey: string): Promise<void> {
    await this.db.em().getConnection().execute(`delete from test_lead_refusals where session_key = ?`, [sessionKey]);
  }

  private sequences = 0;

  /**
   * The first `count` inserts into `table` for the call `callSid` fail, or with `delayMs` are held that long and then
   * go through (or fail too, with `thenFail`). Set before the call submits. A refusal raises SQLSTATE `errcode`:
   * by default 08006 (connection failure: the database could not take the lead, so it is spooled); a data-class
   * code such as 22P05 is the database refusing the lead itself.
   */
  async refuse(callSid: string, table: LeadTable, count: number, delayMs = 0, thenFail = false, errcode = '08006'): Promise<void> {
    const counter = `test_refusal_${process.pid}_${++this.sequences}`;
    const sql = this.db.em().getConnection();
    await sql.execute(`create sequence ${counter}`);
    await sql.execute(
      `insert into test_lead_refusals (session_key, table_name, refusals, counter, delay_ms, then_fail, errcode) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (session_key, table_name) do update set refusals = excluded.refusals, counter = excluded.counter,
         delay_ms = excluded.delay_ms, then_fail = excluded.then_fail, errcode = excluded.errcode`,
      [callSid, table, count, counter, delayMs, thenFail, errcode],
    );
  }
}
