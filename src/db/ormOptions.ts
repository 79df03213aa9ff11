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
/** Where the query builder's (knex's) own warnings go; without it they are written straight to the console. */
export interface DriverLog {
  warn(message: string): void;
  error(message: string): void;
}

export function ormOptions(clientUrl: string, extra: { poolMax?: number; driverLog?: DriverLog } = {}): Options {
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
    driverOptions: {
      acquireConnectionTimeout: DB_ACQUIRE_TIMEOUT_MS,
      ...(extra.driverLog === undefined
        ? {}
        : { log: { warn: extra.driverLog.warn, error: extra.driverLog.error, deprecate: extra.driverLog.warn, debug: () => undefined } }),
    },
    debug: false,
    allowGlobalContext: false,
    // Entities are declared with defineEntity; no reflection or discovery of TS files needed.
    discovery: { warnWhenNoEntities: true },
  });
}
