import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { parseConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/log.js';
import { initORM, type Database } from '../../src/db/orm.js';
import { ormOptions } from '../../src/db/ormOptions.js';

/** The server test databases are created on; the one place tests read the environment. */
export const TEST_DATABASE_BASE_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A migrated database of its own for one test file, and the config that points at it. */
export interface TestDatabase {
  /** DATABASE_URL for the database (for child processes); undefined on PGlite. */
  readonly url: string | undefined;
  /** DATA_DIR (a temp dir; holds PGlite's files when url is undefined). */
  readonly dataDir: string;
  /** parseConfig({ DATABASE_URL or DATA_DIR, ...overrides }). */
  readonly config: Config;
  /** Env variables for a child process (`leads` CLI) that should use the same database. */
  readonly env: Record<string, string>;
  readonly db: Database;
  readonly logger: Logger;
  close(): Promise<void>;
}

const silent = (): Logger => createLogger('silent');

/** Settings every test server shares: a small spool reserve (each server writes its reserve when it starts). */
const TEST_ENV = { SPOOL_RESERVE_BYTES: String(64 * 1024) };

/**
 * Creates `psb_t_<random>` on the real PostgreSQL (TEST_DATABASE_URL, default the local `postgres` database),
 * runs the migrations, and drops it again on close.
 */
export async function createTestDatabase(overrides: Record<string, string> = {}): Promise<TestDatabase> {
  const name = `psb_t_${randomBytes(6).toString('hex')}`;
  const base = new URL(TEST_DATABASE_BASE_URL);
  const url = new URL(base);
  url.pathname = `/${name}`;
  await adminExecute(base.toString(), `create database "${name}"`);
  const dataDir = await mkdtemp(join(tmpdir(), 'psb-test-'));
  const env = { DATABASE_URL: url.toString(), DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...TEST_ENV, ...overrides };
  const config = parseConfig(env);
  const logger = silent();
  let db: Database;
  try {
    db = await initORM(config, { logger });
  } catch (error) {
    await adminExecute(base.toString(), `drop database if exists "${name}" with (force)`);
    throw error;
  }
  return {
    url: url.toString(),
    dataDir,
    config,
    env,
    db,
    logger,
    async close() {
      await db.close();
      await adminExecute(base.toString(), `drop database if exists "${name}" with (force)`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The same on an embedded PGlite database in a fresh temp DATA_DIR (this process owns it). */
export async function createPgliteTestDatabase(overrides: Record<string, string> = {}): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'psb-pglite-'));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...TEST_ENV, ...overrides };
  const config = parseConfig(env);
  const logger = silent();
  const db = await initORM(config, { logger });
  return {
    url: undefined,
    dataDir,
    config,
    env,
    db,
    logger,
    async close() {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminExecute(url: string, sql: string): Promise<void> {
  const orm = await MikroORM.init({ ...ormOptions(url, { poolMax: 1 }), discovery: { warnWhenNoEntities: false } });
  try {
    await orm.em.getConnection().execute(sql);
  } finally {
    await orm.close(true);
  }
}
