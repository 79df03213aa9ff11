import { Migration } from '@mikro-orm/migrations';

/**
 * The lead outbox: every lead bound for the NPA API is written here (status `pending`) before the API is called.
 * Workers claim due rows with FOR UPDATE SKIP LOCKED and a lease (`locked_until`); the id is the lead id, the
 * Idempotency-Key and the id of the succeeded/failed row the lead ends as.
 */
export class Migration20261201090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "lead_outbox" ("id" uuid not null, "lead_data" jsonb not null, "channel" text check ("channel" in ('voice', 'sms')) not null, "session_id" uuid null, "external_id" text not null, "kind" text check ("kind" in ('new', 'retry')) not null default 'new', "status" text check ("status" in ('pending', 'succeeded', 'failed')) not null default 'pending', "attempts" int not null default 0, "npa_attempts" int not null default 0, "max_attempts" int not null, "next_attempt_at" timestamptz not null, "locked_until" timestamptz null, "locked_by" text null, "last_error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "finished_at" timestamptz null, constraint "lead_outbox_pkey" primary key ("id"));`);
    this.addSql(`create index "lead_outbox_session_id_index" on "lead_outbox" ("session_id");`);
    this.addSql(`create index "lead_outbox_due_index" on "lead_outbox" ("next_attempt_at") where "status" = 'pending';`);
    this.addSql(`alter table "lead_outbox" add constraint "lead_outbox_session_id_foreign" foreign key ("session_id") references "conversation_sessions" ("id") on update cascade on delete set null;`);
    // The recovery sweep looks for voice sessions a dead process left unfinished.
    this.addSql(`create index "conversation_sessions_unfinished_index" on "conversation_sessions" ("updated_at") where "channel" = 'voice' and coalesce("state"->>'phase', '') not in ('saved-success', 'saved-failure', 'recovered');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "conversation_sessions_unfinished_index";`);
    this.addSql(`drop table if exists "lead_outbox" cascade;`);
  }
}
