import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '../../src/db/repositories.js';
import { adminRecordingHandler } from '../../src/http/adminRecordingRoute.js';
import { AdminGate } from '../../src/http/adminGate.js';
import { OperatorAccounts } from '../../src/admin/operatorAccounts.js';
import { adminRecordingPath, ROUTES } from '../../src/http/routes.js';
import { listen, type HttpServer } from '../../src/http/server.js';
import { uWS } from '../../src/http/uws.js';
import { DirectoryRecordingStore } from '../../src/recordings/directoryRecordingStore.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const TOKEN = 'route-test-token-0123456789';
const CALL_SID = 'CAroute00000000000000000000000001';

/** The admin recording route alone on a uWS app, over the test database and a directory store with a 6 MB file. */
describe('GET /admin/api/calls/:callSid/recording', () => {
  let database: TestDatabase;
  let server: HttpServer;
  let base: string;
  const body = randomBytes(6 * 1024 * 1024);

  beforeAll(async () => {
    database = await createTestDatabase();
    const repos = createRepositories(database.db);
    const root = join(database.dataDir, 'recordings');
    await mkdir(join(root, 'calls'), { recursive: true });
    await writeFile(join(root, 'calls', `${CALL_SID}.wav`), body);
    await repos.sessions.open({ channel: 'voice', sessionKey: CALL_SID });
    await repos.recordings.save({
      callSid: CALL_SID,
      kind: 'call',
      status: 'complete',
      store: 'directory',
      key: `calls/${CALL_SID}.wav`,
      durationMs: 1000,
      bytes: body.length,
      channels: 2,
      sampleRate: 8000,
      format: 'pcm_s16le',
    });
    const gone = await repos.recordings.save({ ...(await repos.recordings.forCall(CALL_SID))!, callSid: 'CAroute00000000000000000000000002', status: 'complete' });
    await repos.recordings.markDeleted(gone.id);
    const app = uWS.App();
    const accounts = new OperatorAccounts(repos);
    const gate = new AdminGate({ sessionFor: (s) => accounts.sessionFor(s), operatorForToken: (t) => accounts.operatorForToken(t), count: async () => 0 }, TOKEN);
    app.get(ROUTES.adminRecording, adminRecordingHandler({ logger: database.logger, gate, recordings: repos.recordings, store: new DirectoryRecordingStore(root) }));
    server = await listen(app, '127.0.0.1', 0);
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    server?.close();
    await database?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers }, ...(signal ? { signal } : {}) });

  it('streams a file larger than the socket buffers whole, byte for byte (back-pressure)', async () => {
    const response = await get(adminRecordingPath(CALL_SID));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(body.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
  });

  it('answers a range in the middle with exactly its bytes', async () => {
    const response = await get(adminRecordingPath(CALL_SID), { range: 'bytes=1000000-4999999' });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 1000000-4999999/${body.length}`);
    expect(Buffer.from(await response.arrayBuffer()).equals(body.subarray(1_000_000, 5_000_000))).toBe(true);
  });

  it('survives a client that goes away mid-download, and serves the next one', async () => {
    const controller = new AbortController();
    const response = await get(adminRecordingPath(CALL_SID), {}, controller.signal);
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await reader?.cancel().catch(() => undefined);
    const again = await get(adminRecordingPath(CALL_SID), { range: 'bytes=0-9' });
    expect(Buffer.from(await again.arrayBuffer()).equals(body.subarray(0, 10))).toBe(true);
  });

  it('401 without the token or with another, 404 for a malformed or unknown call, 410 once deleted', async () => {
    expect((await fetch(`${base}${adminRecordingPath(CALL_SID)}`)).status).toBe(401);
    expect((await get(adminRecordingPath(CALL_SID), { authorization: 'Bearer nope-nope-nope-nope' })).status).toBe(401);
    expect((await get(adminRecordingPath('not-a-call-sid'))).status).toBe(404);
    expect((await get(adminRecordingPath('CAroute00000000000000000000000009'))).status).toBe(404);
    expect((await get(adminRecordingPath('CAroute00000000000000000000000002'))).status).toBe(410);
  });
});
