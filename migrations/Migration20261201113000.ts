import { Migration } from '@mikro-orm/migrations';

/**
 * A failed lead keeps its first reason; each later retry that fails is added to `retries` (when, why, how many NPA
 * attempts) instead of overwriting it.
 */
export class Migration20261201113000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "failed_leads" add column "retries" jsonb not null default '[]'::jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "failed_leads" drop column "retries";`);
  }
}
