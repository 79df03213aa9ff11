import { initORM } from '../db/orm.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';

/** `leads db migrate`: applies pending migrations and says which. */
export async function dbCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  if (sub !== 'migrate' || rest.length > 0) throw new CliError('usage: leads db migrate', EXIT.USAGE);
  const db = await initORM(ctx.config, { logger: ctx.logger, migrate: false });
  try {
    const applied = await db.migrate();
    ctx.io.out(applied.length === 0 ? 'database is up to date' : `applied ${applied.length} migration(s): ${applied.join(', ')}`);
    return EXIT.OK;
  } finally {
    await db.close();
  }
}
