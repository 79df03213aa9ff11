import { initORM, type Database } from '../db/orm.js';
import { LeadStore } from '../db/leadStore.js';
import type { CliContext } from './io.js';

/** Opens the database (migrating it, so a fresh embedded one has its tables), runs `fn`, always closes. */
export async function withLeadStore<T>(ctx: CliContext, fn: (store: LeadStore, db: Database) => Promise<T>): Promise<T> {
  const db = await initORM(ctx.config, { logger: ctx.logger });
  try {
    return await fn(new LeadStore(db), db);
  } finally {
    await db.close();
  }
}
