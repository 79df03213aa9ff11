// A separate process that owns an embedded PGlite database (like the running server does) and keeps it busy:
// `node --import tsx test/support/pgliteOwner.ts DATA_DIR`. Prints "ready" once it serves, then keeps running
// sessions upserts and transactions until stdin closes, then prints "done <count>" and exits.
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { initORM } from '../../src/db/orm.js';
import { SessionRepository } from '../../src/db/sessionRepository.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: pgliteOwner.ts DATA_DIR');
const db = await initORM(parseConfig({ DATA_DIR: dataDir }), { logger: createLogger('silent') });
if (db.kind !== 'pglite-owner') throw new Error(`expected to own the database, got ${db.kind}`);
const sessions = new SessionRepository(db);
process.stdout.write('ready\n');

let stop = false;
process.stdin.on('end', () => (stop = true));
process.stdin.resume();
let count = 0;
let failure: unknown;
while (!stop) {
  try {
    const id = await sessions.open({ channel: 'voice', sessionKey: `owner-${count % 5}`, state: { phase: `n${count}` } });
    await db.em().transactional(async (em) => {
      await sessions.patch(id, { reason: `owner ${count}` }, em);
      await em.execute('select pg_sleep(0.002)');
    });
    count++;
  } catch (error) {
    failure = error;
    break;
  }
}
await db.close();
process.stdout.write(failure ? `error ${String(failure)}\n` : `done ${count}\n`);
process.exit(failure ? 1 : 0);
