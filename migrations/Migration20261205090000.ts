import { Migration } from '@mikro-orm/migrations';

/**
 * Operator accounts for the operations console: operators (a login name and a scrypt hash), their browser sessions
 * (keyed by the SHA-256 of the session secret, never the secret), their API tokens (hashed the same way), and the
 * audit log of what operators did. The audit log names the operator as text, so it outlives a removed account.
 * Failed leads gain the note and the name of whoever marked them resolved by hand.
 */
export class Migration20261205090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "operators" (
      "id" uuid not null,
      "name" text not null,
      "password_hash" text not null,
      "created_at" timestamptz not null,
      constraint "operators_pkey" primary key ("id"));`);
    this.addSql(`alter table "operators" add constraint "operators_name_unique" unique ("name");`);

    this.addSql(`create table "operator_sessions" (
      "id" text not null,
      "operator_id" uuid not null,
      "csrf_token" text not null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "last_seen_at" timestamptz not null,
      "ip" text null,
      constraint "operator_sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "operator_sessions_operator_id_index" on "operator_sessions" ("operator_id");`);
    this.addSql(`create index "operator_sessions_expires_at_index" on "operator_sessions" ("expires_at");`);
    this.addSql(`alter table "operator_sessions" add constraint "operator_sessions_operator_id_foreign" foreign key ("operator_id") references "operators" ("id") on update cascade on delete cascade;`);

    this.addSql(`create table "operator_tokens" (
      "id" uuid not null,
      "operator_id" uuid not null,
      "token_hash" text not null,
      "label" text null,
      "created_at" timestamptz not null,
      "last_used_at" timestamptz null,
      constraint "operator_tokens_pkey" primary key ("id"));`);
    this.addSql(`create index "operator_tokens_operator_id_index" on "operator_tokens" ("operator_id");`);
    this.addSql(`alter table "operator_tokens" add constraint "operator_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`alter table "operator_tokens" add constraint "operator_tokens_operator_id_foreign" foreign key ("operator_id") references "operators" ("id") on update cascade on delete cascade;`);

    this.addSql(`create table "audit_log" (
      "id" uuid not null,
      "at" timestamptz not null,
      "operator" text not null,
      "action" text not null,
      "lead_id" uuid null,
      "session_key" text null,
      "detail" jsonb not null,
      constraint "audit_log_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_log_lead_id_index" on "audit_log" ("lead_id");`);
    this.addSql(`create index "audit_log_at_index" on "audit_log" ("at");`);

    this.addSql(`alter table "failed_leads" add column "resolution_note" text null, add column "resolved_by" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "failed_leads" drop column if exists "resolution_note", drop column if exists "resolved_by";`);
    this.addSql(`drop table if exists "audit_log" cascade;`);
    this.addSql(`drop table if exists "operator_tokens" cascade;`);
    this.addSql(`drop table if exists "operator_sessions" cascade;`);
    this.addSql(`drop table if exists "operators" cascade;`);
  }
}
