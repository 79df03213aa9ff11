import { Migration } from '@mikro-orm/migrations';

/**
 * Instances and their heartbeats: what a dead server process held (its live calls, its outbox claims) is taken
 * over as soon as its heartbeat is stale, instead of after a session's idle grace or a claim's whole lease.
 */
export class Migration20261202090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "instances" ("id" text not null, "started_at" timestamptz not null, "heartbeat_at" timestamptz not null, "stopped_at" timestamptz null, constraint "instances_pkey" primary key ("id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "instances" cascade;`);
  }
}
