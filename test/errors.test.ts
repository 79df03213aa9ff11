// isConnectionError on errors the real stack produces: PostgreSQL's own (raised SQLSTATEs, bad text, a NUL), a
// database behind a TCP proxy that is cut (node-postgres and knex), and a port nobody listens on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { isConnectionError } from '../src/errors.js';
import { initORM, type Database } from '../src/db/orm.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { TcpProxy } from './reliability/tcpProxy.js';

let database: TestDatabase;
let proxy: TcpProxy;
let viaProxy: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  const direct = new URL(database.url ?? '');
  proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  const url = new URL(direct);
  url.port = String(await proxy.start());
  viaProxy = await initORM(parseConfig({ ...database.env, DATABASE_URL: url.toString() }), { logger: database.logger });
});

afterAll(async () => {
  await viaProxy?.close();
  await proxy?.close();
  await database?.close();
});

const failureOf = (work: Promise<unknown>): Promise<unknown> => work.then(() => { throw new Error('expected a failure'); }, (error: unknown) => error);
const raised = (sqlState: string) =>
  failureOf(database.db.em().execute(`do $$ begin raise exception using errcode = '${sqlState}', message = 'refused'; end $$`));

describe('isConnectionError', () => {
  it.each(['08006', '08001', '57P01', '57P03', '57014', '53300', '53100', '40001', '40P01'])('SQLSTATE %s: connection-class (spool it)', async (sqlState) => {
    expect(isConnectionError(await raised(sqlState))).toBe(true);
  });

  it.each(['22P05', '22P02', '22001', '23505', '23514', 'P0001', '42703', 'XX000'])('SQLSTATE %s: the data or the query (a failed lead)', async (sqlState) => {
    expect(isConnectionError(await raised(sqlState))).toBe(false);
  });

  it('what PostgreSQL says to unstorable text: NUL in jsonb, a lone surrogate, a NUL in a text parameter (08P01)', async () => {
    const em = database.db.em();
    const nulJson = await failureOf(em.execute(`select ?::jsonb`, [JSON.stringify({ from: '+1404\u0000' })]));
    const surrogate = await failureOf(em.execute(`select ?::jsonb`, [JSON.stringify({ text: 'yes \ud83d' })]));
    const nulText = await failureOf(em.execute(`select ?::text`, ['CA\u0000']));
    expect((nulText as { code?: string }).code).toBe('08P01');
    for (const error of [nulJson, surrogate, nulText]) expect(isConnectionError(error)).toBe(false);
  });

  it('a database cut away mid-use, and refused connections while it stays away', async () => {
    await viaProxy.ping();
    await proxy.cut();
    try {
      const terminated = await failureOf(viaProxy.em().execute('select 1'));
      const refused = await failureOf(viaProxy.em().execute('select 1'));
      const inTransaction = await failureOf(viaProxy.em().transactional((em) => em.execute('select 1')));
      for (const error of [terminated, refused, inTransaction]) expect(isConnectionError(error)).toBe(true);
    } finally {
      await proxy.restore();
    }
  });

  it('a database whose pool is closed (no connection can be had)', async () => {
    const closed = await createTestDatabase();
    await closed.close();
    expect(isConnectionError(await failureOf(closed.db.em().transactional((em) => em.execute('select 1'))))).toBe(true);
  });

  it('socket errors and pool timeouts anywhere in the cause chain; plain errors are not', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const pipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(pipe)).toBe(true);
    expect(isConnectionError(new Error('could not store', { cause: refused }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }))).toBe(true);
    expect(isConnectionError(new Error('session upsert returned no row'))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(false);
    expect(isConnectionError('down')).toBe(false);
  });
});
