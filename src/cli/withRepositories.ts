import { initORM } from '../db/orm.js';
import { createRepositories, type Repositories } from '../db/repositories.js';
import type { CliContext } from './io.js';

/** Opens the database (migrating it, so a fresh embedded one has its tables), runs `fn`, always closes. */
export async function withRepositories<T>(ctx: CliContext, fn: (repos: Repositories) => Promise<T>): Promise<T> {
  const db = await initORM(ctx.config, { logger: ctx.logger });
  try {
    return await fn(createRepositories(db));
  } finally {
    await db.close();
  }
}
