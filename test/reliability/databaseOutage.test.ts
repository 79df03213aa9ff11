// Database outage: PostgreSQL (behind a TCP proxy the test cuts) is unreachable while calls end. Their leads and
// transcripts go to the fsynced spool under DATA_DIR; once the database is back the spool is replayed into the
// outbox and each lead reaches NPA once. The shared PostgreSQL server itself is never stopped.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from './serverProcess.js';
import { TcpProxy } from './tcpProxy.js';
import { sampleConversation } from '../support/sharedTranscripts.js';

const sample = (name: string) =>
  sampleConversation(name);

// knex warns through console.log when the pool finds a connection the cut killed: src/db/ormOptions.ts gives knex
// no `log` option, so its warnings bypass pino. Drop this once knex's log goes to the service logger.

let database: TestDatabase;
let proxy: TcpProxy;
let lab: VoiceLab;

beforeAll(async () => {
  database = await createTestDatabase();
  const direct = new URL(database.url ?? '');
  proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(direct);
  viaProxy.port = String(await proxy.start());
  lab = await startVoiceLab({
    env: { ...database.env, DATABASE_URL: viaProxy.toString(), NPA_MAX_ATTEMPTS: '1', TRANSCRIPT_WAIT_MS: '300', SUBMISSION_TIMEOUT_MS: '15000' },
    logger: database.logger,
    // Upkeep on demand (app.maintain) so the test decides when the database is back.
    overrides: { reliability: { RECOVERY_SWEEP_MS: 3_600_000, OUTBOX_POLL_MS: 200 } },
  });
}, 60_000);

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await lab?.close();
  await proxy?.close();
  await database?.close();
});

describe('PostgreSQL unreachable when calls end', { timeout: 60_000 }, () => {
  it('spools the leads with their transcripts, replays them when the database is back, sends each once', async () => {
    await proxy.cut();
    const calls = [
      { callSid: 'CAoutage000000000000000000000000001', conversation: sample('public-01.json') },
      { callSid: 'CAoutage000000000000000000000000002', conversation: sample('public-03.json') },
    ];
    const outputs = await Promise.all(
      calls.map(({ callSid, conversation }) =>
        placeScriptedCall(lab, { callSid, from: conversation.callerPhone ?? '+14045550111', script: scriptFromTranscript(conversation) }),
      ),
    );
    for (const { output } of outputs) {
      expect(output.outcome).toBe('failed');
      expect(output.reason).toMatch(/^submission pending: database unavailable .*; lead kept in the local spool$/);
    }
    expect(lab.npa.requests).toHaveLength(0);

    const spool = new LeadSpool(database.dataDir, database.logger);
    const lines = (await readFile(spool.path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['id']).sort()).toEqual(outputs.map((o) => o.output.leadId).sort());
    for (const line of lines) expect((line['sessionState'] as { transcript: unknown[] }).transcript.length).toBeGreaterThan(5);

    // Still down: a replay keeps every line.
    await lab.app.maintain();
    expect((await readFile(spool.path, 'utf8')).trim().split('\n')).toHaveLength(2);

    await proxy.restore();
    await eventually(
      async () => {
        if (await spool.isEmpty()) return true;
        await lab.app.maintain();
        return undefined;
      },
      20_000,
      'the spool to drain',
    );
    for (const { output } of outputs) {
      await eventually(async () => (lab.npa.accepted.has(output.leadId) ? true : undefined), 20_000, 'NPA to accept the spooled lead');
      // NPA answers before the pass records it: the succeeded row lands a moment later.
      const succeeded = await eventually(async () => (await lab.app.repos.succeeded.get(output.leadId)) ?? undefined, 5_000, 'the succeeded row');
      expect(succeeded.id).toBe(output.leadId);
    }
    expect(lab.npa.accepted.size).toBe(2);
    expect(await lab.app.repos.failed.list()).toHaveLength(0);
    for (const { callSid } of calls) {
      const session = await lab.app.repos.sessions.getByKey(callSid);
      expect(session?.state).toMatchObject({ phase: 'saved-failure', spooled: true });
      await eventually(async () => ((await lab.app.repos.sessions.getByKey(callSid))?.state['outcome'] === 'succeeded' ? true : undefined), 5_000, 'the session outcome');
    }

    // A second replay of the same lines (a crash between replay and truncation) changes nothing.
    const again = new LeadSpool(database.dataDir, database.logger);
    for (const line of lines) await again.append(line as never);
    await lab.app.maintain();
    expect(await spool.isEmpty()).toBe(true);
    expect(lab.npa.accepted.size).toBe(2);
    expect((await database.db.em().execute<{ n: string }[]>(`select count(*) as n from succeeded_leads`))[0]?.n).toBe('2');
  });
});
