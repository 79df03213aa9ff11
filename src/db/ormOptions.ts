import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrationsList.js';

/** How long a query waits for a pooled connection before it fails. */
export const DB_ACQUIRE_TIMEOUT_MS = 5_000;

/**
 * The MikroORM options for one database URL. Migrations come from an explicit list of imported classes so they
 * run the same under tsx, vitest and compiled code (no file globbing of `.ts` files).
 */
export function ormOptions(clientUrl: string, extra: { poolMax?: number } = {}): Options {
  return defineConfig({
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: {
      path: 'migrations',
      emit: 'ts',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      // No .snapshot-<db>.json files: running migrations must not write into the source tree; migration:create
      // diffs against the database instead.
      snapshot: false,
    },
    pool: extra.poolMax === undefined ? undefined : { min: 0, max: extra.poolMax },
    // knex waits 60 s for a connection by default; with the database unreachable every query (a call's lead, the
    // outbox worker's poll) would hang that long before the spool or a retry could take over.
    driverOptions: { acquireConnectionTimeout: DB_ACQUIRE_TIMEOUT_MS },
    debug: false,
    allowGlobalContext: false,
    // Entities are declared with defineEntity; no reflection or discovery of TS files needed.
    discovery: { warnWhenNoEntities: true },
  });
}
