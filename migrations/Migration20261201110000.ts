import { Migration } from '@mikro-orm/migrations';

/**
 * One session per SMS conversation (keyed `sms:<lead id>`), found by the texter's number while it is open: an index
 * on the number in the state, for SMS sessions only.
 */
export class Migration20261201110000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "conversation_sessions_sms_phone_index" on "conversation_sessions" (("state"->>'phone'), "created_at") where "channel" = 'sms';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "conversation_sessions_sms_phone_index";`);
  }
}
