import { Migration } from '@mikro-orm/migrations';

/**
 * How each lead was decided from its witnesses (live capture, LLM, offline reading): every field's verdict, the
 * disputed fields, and the review a disputed lead waits for. `review`: none (nothing disputed), held (disputed and
 * not sent: REVIEW_POLICY=hold), sent (disputed, sent with the majority values and flagged: REVIEW_POLICY=send),
 * approved or rejected (a person decided).
 */
export class Migration20261203090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "lead_decisions" (
      "id" uuid not null,
      "channel" text check ("channel" in ('voice', 'sms')) not null,
      "session_id" uuid null,
      "external_id" text not null,
      "lead_data" jsonb not null,
      "fields" jsonb not null,
      "disputed" jsonb not null default '[]'::jsonb,
      "reasked" boolean not null default false,
      "review" text check ("review" in ('none', 'held', 'sent', 'approved', 'rejected')) not null default 'none',
      "review_note" text null,
      "decided_by" text null,
      "decided_at" timestamptz null,
      "created_at" timestamptz not null,
      constraint "lead_decisions_pkey" primary key ("id"));`);
    this.addSql(`create index "lead_decisions_session_id_index" on "lead_decisions" ("session_id");`);
    this.addSql(`create index "lead_decisions_open_review_index" on "lead_decisions" ("created_at") where "review" in ('held', 'sent');`);
    // A call held for review (saved-review) is finished too: the recovery sweep's partial index leaves it out.
    this.addSql(`drop index if exists "conversation_sessions_unfinished_index";`);
    this.addSql(`create index "conversation_sessions_unfinished_index" on "conversation_sessions" ("updated_at") where "channel" = 'voice' and coalesce("state"->>'phase', '') not in ('saved-success', 'saved-failure', 'saved-review', 'recovered');`);
    this.addSql(`alter table "lead_decisions" add constraint "lead_decisions_session_id_foreign" foreign key ("session_id") references "conversation_sessions" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "lead_decisions" cascade;`);
    this.addSql(`drop index if exists "conversation_sessions_unfinished_index";`);
    this.addSql(`create index "conversation_sessions_unfinished_index" on "conversation_sessions" ("updated_at") where "channel" = 'voice' and coalesce("state"->>'phase', '') not in ('saved-success', 'saved-failure', 'recovered');`);
  }
}
