import { Migration } from '@mikro-orm/migrations';

/**
 * Call recordings: one row per stored recording (the call's two-channel WAV, or the voicemail left after the tone),
 * linked to the call's session (and through it to every lead row of the call). The retention sweep's index skips
 * deleted rows.
 */
export class Migration20261204090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "call_recordings" (
      "id" uuid not null,
      "session_id" uuid null,
      "call_sid" text not null,
      "kind" text check ("kind" in ('call', 'voicemail')) not null,
      "status" text check ("status" in ('complete', 'partial', 'deleted')) not null,
      "store" text not null,
      "store_key" text not null,
      "duration_ms" int not null,
      "bytes" bigint not null,
      "channels" smallint not null,
      "sample_rate" int not null,
      "format" text not null,
      "source_ref" text null,
      "created_at" timestamptz not null,
      "deleted_at" timestamptz null,
      constraint "call_recordings_pkey" primary key ("id"));`);
    this.addSql(`create index "call_recordings_session_id_index" on "call_recordings" ("session_id");`);
    this.addSql(`alter table "call_recordings" add constraint "call_recordings_call_sid_kind_unique" unique ("call_sid", "kind");`);
    this.addSql(`create index "call_recordings_retention_index" on "call_recordings" ("created_at") where "status" <> 'deleted';`);
    this.addSql(`alter table "call_recordings" add constraint "call_recordings_session_id_foreign" foreign key ("session_id") references "conversation_sessions" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "call_recordings" cascade;`);
  }
}
