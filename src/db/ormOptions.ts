import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrationsList.js';

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
    debug: false,
    allowGlobalContext: false,
    // Entities are declared with defineEntity; no reflection or discovery of TS files needed.
    discovery: { warnWhenNoEntities: true },
  });
}
