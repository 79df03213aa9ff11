import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './embeddedDatabase.js';
import { ormOptions } from './ormOptions.js';

/** Where the data lives: a PostgreSQL server, or the embedded PGlite (owned here or by another process). */
export type DatabaseKind = 'postgresql' | 'pglite-owner' | 'pglite-client';

/** The ORM plus the embedded database behind it, if any. Close it once on shutdown. */
export interface Database {
  readonly orm: MikroORM;
  readonly kind: DatabaseKind;
  /** A fresh EntityManager for one unit of work. */
  em(): EntityManager;
  /** A cheap round trip for readiness checks; throws when the database cannot answer. */
  ping(): Promise<void>;
  /** Runs pending migrations; returns the names it applied. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Connects to `config.DATABASE_URL`, or with it unset to the embedded PGlite under `config.DATA_DIR`, and (unless
 * `migrate: false`) applies pending migrations.
 */
export async function initORM(config: Config, opts: { logger: Logger; migrate?: boolean }): Promise<Database> {
  const logger = opts.logger.child({ component: 'db' });
  let embedded: EmbeddedDatabase | undefined;
  let url = config.DATABASE_URL;
  if (url === undefined) {
    embedded = await openEmbeddedDatabase(config.DATA_DIR, logger);
    url = embedded.url;
  }
  let orm: MikroORM;
  try {
    // PGlite answers one exchange at a time: one connection per process is all it can use.
    orm = await MikroORM.init({
      ...ormOptions(url, {
        ...(embedded ? { poolMax: 1 } : {}),
        // knex's warnings (a dropped connection) through our logger: one line, the driver's words cut short.
        driverLog: {
          warn: (message) => logger.warn({ driver: String(message).slice(0, 200) }, 'database driver warning'),
          error: (message) => logger.error({ driver: String(message).slice(0, 200) }, 'database driver error'),
        },
      }),
      logger: (message) => logger.debug({ orm: message }, 'orm'),
    });
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  const kind: DatabaseKind = embedded === undefined ? 'postgresql' : embedded.role === 'owner' ? 'pglite-owner' : 'pglite-client';
  let closed = false;
  const db: Database = {
    orm,
    kind,
    em: () => orm.em.fork(),
    async ping() {
      await orm.em.getConnection().execute('select 1');
    },
    async migrate() {
      const applied = await orm.getMigrator().up();
      if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
      return applied.map((m) => m.name);
    },
    async close() {
      if (closed) return;
      closed = true;
      await orm.close(true);
      await embedded?.close();
    },
  };
  if (opts.migrate !== false) {
    try {
      await db.migrate();
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  logger.debug({ kind }, 'database ready');
  return db;
}
