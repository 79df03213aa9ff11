import type { Database } from '../../src/db/orm.js';

/** The lead tables a refusal can target. */
export type LeadTable = 'succeeded_leads' | 'failed_leads';

/**
 * Makes the test database itself refuse lead inserts for one call, so "the database refused the lead" happens for
 * real (inside submitLead's transaction), per call, while other calls on the same database go on untouched:
 * a BEFORE INSERT trigger on both lead tables looks the row's session up by its session_key (the CallSid) and
 * raises while that call still has refusals left for that table.
 */
export class LeadRefusals {
  private constructor(private readonly db: Database) {}

  /** Installs the control table and the triggers (idempotent). */
  static async install(db: Database): Promise<LeadRefusals> {
    const sql = db.em().getConnection();
    await sql.execute(`create table if not exists test_lead_refusals (
      session_key text not null, table_name text not null, refusals int not null, counter text not null,
      primary key (session_key, table_name))`);
    // The attempt counter is a sequence: nextval survives the rollback of the refused transaction.
    await sql.execute(`create or replace function test_refuse_lead() returns trigger language plpgsql as $$
      declare rule record;
      begin
        select r.refusals, r.counter into rule from test_lead_refusals r
          join conversation_sessions s on s.session_key = r.session_key
          where s.id = new.session_id and r.table_name = tg_table_name;
        if found and nextval(rule.counter::regclass) <= rule.refusals then
          raise exception 'test refusal: % insert refused', tg_table_name;
        end if;
        return new;
      end $$`);
    for (const table of ['succeeded_leads', 'failed_leads'] as const) {
      await sql.execute(`drop trigger if exists test_refuse_lead on ${table}`);
      await sql.execute(
        `create trigger test_refuse_lead before insert on ${table} for each row execute function test_refuse_lead()`,
      );
    }
    return new LeadRefusals(db);
  }

  private sequences = 0;

  /** The first `count` inserts into `table` for the call `callSid` fail (set before the call submits). */
  async refuse(callSid: string, table: LeadTable, count: number): Promise<void> {
    const counter = `test_refusal_${process.pid}_${++this.sequences}`;
    const sql = this.db.em().getConnection();
    await sql.execute(`create sequence ${counter}`);
    await sql.execute(
      `insert into test_lead_refusals (session_key, table_name, refusals, counter) values (?, ?, ?, ?)
       on conflict (session_key, table_name) do update set refusals = excluded.refusals, counter = excluded.counter`,
      [callSid, table, count, counter],
    );
  }
}
