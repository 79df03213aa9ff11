import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { initORM } from '../../src/db/orm.js';
import { LOCK_FILE } from '../../src/db/embeddedDatabase.js';
import { SessionRepository } from '../../src/db/sessionRepository.js';
import { runLeads } from '../support/runLeads.js';

const OWNER_SCRIPT = fileURLToPath(new URL('../support/pgliteOwner.ts', import.meta.url));
const logger = createLogger('silent');
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'psb-owner-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function startOwner(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; finish: () => Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', OWNER_SCRIPT, dir], { stdio: 'pipe' });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (stdout.includes('ready')) {
        child.stdout.off('data', check);
        resolve({
          child,
          finish: async () => {
            child.stdin.end();
            await exited;
            return stdout;
          },
        });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`owner exited early (${code}): ${stdout}`)));
  });
}

describe('embedded PGlite shared between processes', { timeout: 120_000 }, () => {
  let owner: Awaited<ReturnType<typeof startOwner>> | undefined;
  afterEach(async () => {
    if (owner && owner.child.exitCode === null) await owner.finish();
    owner = undefined;
  });

  it('lets the leads CLI and another client work while a busy owner holds the database', async () => {
    owner = await startOwner(dataDir);
    const lock = JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; port: number };
    expect(lock.pid).toBe(owner.child.pid);
    expect(lock.port).toBeGreaterThan(0);

    // This process connects as a client and runs transactions concurrently with the owner's.
    const client = await initORM(parseConfig({ DATA_DIR: dataDir }), { logger });
    expect(client.kind).toBe('pglite-client');
    const store = new SessionRepository(client);
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.open({ channel: 'sms', sessionKey: `client-${i}`, state: { phase: `p${i}` } })),
    );
    for (const [i, id] of ids.entries()) {
      await client.em().transactional(async (em) => store.patch(id, { reason: `touched ${i}` }, em));
    }
    const sessions = await Promise.all(ids.map((id) => store.get(id)));
    expect(sessions.map((s) => s?.state)).toEqual(ids.map((_, i) => ({ phase: `p${i}`, reason: `touched ${i}` })));

    const cli = await runLeads(['failed', 'list', '--json'], { DATA_DIR: dataDir });
    expect(cli).toMatchObject({ code: 0, stdout: '[]\n' });
    const migrate = await runLeads(['db', 'migrate'], { DATA_DIR: dataDir });
    expect(migrate.stdout).toBe('database is up to date\n');
    await client.close();

    const result = await owner.finish();
    expect(result).toMatch(/done \d+/);
    expect(Number(/done (\d+)/.exec(result)?.[1])).toBeGreaterThan(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock left by a dead process, and removes it on close', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dataDir, LOCK_FILE), JSON.stringify({ pid: dead, port: 1 }));
    const db = await initORM(parseConfig({ DATA_DIR: dataDir }), { logger });
    expect(db.kind).toBe('pglite-owner');
    const lock = JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    // The data written through the first owner is still there.
    expect(await new SessionRepository(db).getByKey('client-3')).toMatchObject({ state: { phase: 'p3', reason: 'touched 3' } });
    await db.close();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
