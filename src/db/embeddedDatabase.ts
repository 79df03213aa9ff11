import { mkdir, readFile, rename, unlink, writeFile, open } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../log.js';
import { ExclusiveSocketServer } from './exclusiveSocketServer.js';

/** Name of the file that says which process owns the embedded database, and on which port it serves it. */
export const LOCK_FILE = 'pglite.lock.json';
const OWNER_START_WAIT_MS = 60_000;
const POLL_MS = 100;
const PORT_PROBE_TIMEOUT_MS = 1_000;

interface LockInfo {
  pid: number;
  port: number | null;
}

/** An embedded PGlite database reached over a local socket, either owned by this process or by another. */
export interface EmbeddedDatabase {
  /** A postgres:// URL for node-postgres. */
  readonly url: string;
  /** 'owner' when this process opened PGlite; 'client' when it connects to another process's server. */
  readonly role: 'owner' | 'client';
  close(): Promise<void>;
}

/**
 * Opens the PGlite database persisted under `dataDir`. Only one process may open PGlite's files; the owner serves
 * them on 127.0.0.1 and records `{pid, port}` in `dataDir/pglite.lock.json`. A process that finds a live owner
 * connects as a client instead (so `leads` works while the server runs); a stale lock is taken over.
 */
export async function openEmbeddedDatabase(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE);
  const deadline = Date.now() + OWNER_START_WAIT_MS;

  for (;;) {
    if (await createLockExclusively(lockPath)) return startOwner(dir, lockPath, logger);
    const lock = await readLock(lockPath);
    if (lock === null) continue; // removed between our two looks: try to claim it again
    if (lock === undefined) {
      // Unreadable: being written by its owner right now, or left half-written. Give it a moment.
      if (Date.now() > deadline) await unlink(lockPath).catch(() => undefined);
      await sleep(POLL_MS);
      continue;
    }
    if (isAlive(lock.pid)) {
      if (lock.port !== null && (await portAccepts(lock.port))) {
        logger.info({ port: lock.port }, 'embedded database owned by another process; connecting as a client');
        return { url: urlFor(lock.port), role: 'client', close: async () => undefined };
      }
      if (lock.port === null && Date.now() < deadline) {
        // The owner is still opening PGlite: wait for its port.
        await sleep(POLL_MS);
        continue;
      }
    }
    logger.warn({ stalePid: lock.pid }, 'taking over a stale embedded database lock');
    await unlink(lockPath).catch(() => undefined);
  }
}

async function startOwner(dir: string, lockPath: string, logger: Logger): Promise<EmbeddedDatabase> {
  let db: PGlite | undefined;
  let server: ExclusiveSocketServer | undefined;
  try {
    db = await PGlite.create(join(dir, 'pglite'));
    server = new ExclusiveSocketServer(db, logger);
    const port = await server.start();
    await writeLock(lockPath, { pid: process.pid, port });
    logger.info({ port }, 'embedded database started');
    const owned = { db, server };
    let closed = false;
    return {
      url: urlFor(port),
      role: 'owner',
      async close() {
        if (closed) return;
        closed = true;
        await owned.server.stop();
        await owned.db.close();
        await unlink(lockPath).catch(() => undefined);
      },
    };
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw error;
  }
}

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Atomically claims the lock (O_EXCL); the port is filled in once the server listens. */
async function createLockExclusively(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx');
    await handle.writeFile(JSON.stringify({ pid: process.pid, port: null } satisfies LockInfo));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function writeLock(lockPath: string, info: LockInfo): Promise<void> {
  // Write then rename so a reader never sees half a file.
  const tmp = `${lockPath}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(info));
  await rename(tmp, lockPath);
}

async function readLock(lockPath: string): Promise<LockInfo | null | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, port: typeof parsed.port === 'number' ? parsed.port : null };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(PORT_PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
