import { Migration } from '@mikro-orm/migrations';

/** The three tables: conversation sessions, succeeded leads, failed leads. */
export class Migration20261124212026 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "conversation_sessions" ("id" uuid not null, "channel" text check ("channel" in ('voice', 'sms')) not null, "session_key" varchar(255) not null, "state" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_sessions_pkey" primary key ("id"));`);
    this.addSql(`alter table "conversation_sessions" add constraint "conversation_sessions_session_key_unique" unique ("session_key");`);

    this.addSql(`create table "failed_leads" ("id" uuid not null, "lead_data" jsonb not null, "error_message" text not null, "channel" text check ("channel" in ('voice', 'sms')) not null, "session_id" uuid null, "attempts" int not null default 0, "last_attempt_at" timestamptz null, "resolved_at" timestamptz null, "created_at" timestamptz not null, constraint "failed_leads_pkey" primary key ("id"));`);
    this.addSql(`create index "failed_leads_session_id_index" on "failed_leads" ("session_id");`);
    this.addSql(`create index "failed_leads_unresolved_index" on "failed_leads" ("created_at") where "resolved_at" is null;`);
    this.addSql(`create index "failed_leads_created_at_index" on "failed_leads" ("created_at");`);

    this.addSql(`create table "succeeded_leads" ("id" uuid not null, "lead_data" jsonb not null, "channel" text check ("channel" in ('voice', 'sms')) not null, "session_id" uuid null, "npa_response" jsonb not null, "created_at" timestamptz not null, constraint "succeeded_leads_pkey" primary key ("id"));`);
    this.addSql(`create index "succeeded_leads_session_id_index" on "succeeded_leads" ("session_id");`);
    this.addSql(`create index "succeeded_leads_created_at_index" on "succeeded_leads" ("created_at");`);

    this.addSql(`alter table "failed_leads" add constraint "failed_leads_session_id_foreign" foreign key ("session_id") references "conversation_sessions" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "succeeded_leads" add constraint "succeeded_leads_session_id_foreign" foreign key ("session_id") references "conversation_sessions" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "succeeded_leads" cascade;`);
    this.addSql(`drop table if exists "failed_leads" cascade;`);
    this.addSql(`drop table if exists "conversation_sessions" cascade;`);
  }
}
