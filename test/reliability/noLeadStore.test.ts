// The database down and the spool unwritable (its disk full), through the real server on the real PostgreSQL (cut
// away behind a TCP proxy; the spool on a disk that fills up, test/support/cappedDisk.ts). Before issue 12 both
// callers finished normally and both leads were lost (lead_lost, ENOSPC) while the webhook kept taking calls.
// Now the leads of the calls under way are held in memory until a store takes them (upkeep, or SIGTERM), and while
// neither store can write `/readyz` fails and new calls hear the busy message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutput } from '../../machines/callTypes.js';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import { BUSY_MESSAGE } from '../../src/twilio/twiml.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { CappedDisk } from '../support/cappedDisk.js';
import { capturedLogs } from '../support/capturedLogs.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from './serverProcess.js';
import { TcpProxy } from './tcpProxy.js';

const HELD = /^submission pending: database unavailable \(.+\), spool not written \(ENOSPC: no space left on device, write\); lead held in memory until one of them can take it$/;

let database: TestDatabase;
let proxy: TcpProxy;
let dataDir: string;
let disk: CappedDisk;
let lab: VoiceLab | undefined;
const logs = capturedLogs('warn');

beforeAll(async () => {
  database = await createTestDatabase();
  const direct = new URL(database.url ?? '');
  proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(direct);
  viaProxy.port = String(await proxy.start());
  dataDir = await mkdtemp(join(tmpdir(), 'psb-nostore-'));
  disk = new CappedDisk(dataDir);
  lab = await startVoiceLab({
    env: {
      ...database.env,
      DATABASE_URL: viaProxy.toString(),
      DATA_DIR: dataDir,
      // One page of reserve: less than one of these calls' leads (a long caller turn makes each about 8 KB).
      SPOOL_RESERVE_BYTES: '4096',
      NPA_MAX_ATTEMPTS: '1',
      TRANSCRIPT_WAIT_MS: '300',
      PREWARM_TTL_MS: '1500',
      SUBMISSION_TIMEOUT_MS: '15000',
    },
    logger: logs.logger,
    overrides: { spoolWriter: disk, reliability: { RECOVERY_SWEEP_MS: 3_600_000, OUTBOX_POLL_MS: 200 } },
  });
}, 60_000);

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await lab?.close();
  await proxy?.close();
  await database?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A complete sample call with a long caller turn, and a pause after it (the stores fail during the pause). */
function longCall(sample: string): ScriptStep[] {
  const conversation = sampleConversation(sample);
  const turns = conversation.turns.map((turn, i) => (i === 1 ? { ...turn, text: `${turn.text} ${'I have owned it since new and kept every record. '.repeat(120)}` } : turn));
  const script = scriptFromTranscript({ turns });
  script.splice(2, 0, { wait: 2_500 });
  return script;
}

async function transcriptLength(callSid: string): Promise<number> {
  const rows = await database.db.em().execute<{ n: number | null }[]>(
    `select jsonb_array_length(state->'transcript') as n from conversation_sessions where session_key = ?`,
    [callSid],
  );
  return rows[0]?.n ?? 0;
}

async function rowsOfLead(leadId: string): Promise<number> {
  const rows = await database.db.em().execute<{ n: string }[]>(
    `select (select count(*) from succeeded_leads where id = ?) + (select count(*) from failed_leads where id = ?) + (select count(*) from lead_outbox where id = ?) as n`,
    [leadId, leadId, leadId],
  );
  return Number(rows[0]?.n ?? 0);
}

async function readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${lab?.app.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Starts calls with the stores up, then cuts the database and fills the disk while they are under way. */
async function callsWhileStoresFail(theLab: VoiceLab, calls: Array<{ callSid: string; sample: string }>): Promise<CallOutput[]> {
  const placed = calls.map(({ callSid, sample }) => placeScriptedCall(theLab, { callSid, from: '+14045550111', script: longCall(sample) }));
  for (const { callSid } of calls) await eventually(async () => ((await transcriptLength(callSid)) >= 2 ? true : undefined), 20_000, 'the long turn in the session');
  await proxy.cut();
  await disk.fill();
  return (await Promise.all(placed)).map((p) => p.output);
}

describe('database down and spool unwritable', { timeout: 90_000 }, () => {
  it('holds the leads of the calls under way in memory, refuses new calls and fails readiness until a store is back', async () => {
    const theLab = lab!;
    const outputs = await callsWhileStoresFail(theLab, [
      { callSid: 'CAnostore00000000000000000000000001', sample: 'public-01.json' },
      { callSid: 'CAnostore00000000000000000000000002', sample: 'public-03.json' },
    ]);
    for (const output of outputs) expect(output).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(HELD), endReason: 'goodbye' });
    expect(theLab.app.metrics.get('leads_total', { outcome: 'lost' })).toBe(0);
    expect(await theLab.app.metrics.render()).toContain('psb_leads_held_in_memory 2');
    expect(logs.entries().filter((e) => e['msg'] === 'neither the database nor the spool can take the lead: held in memory')).toHaveLength(2);

    // Neither store can write: not ready, and a new call hears the busy message instead of a conversation.
    expect(await readyz()).toEqual({ status: 503, body: expect.objectContaining({ status: 'cannot keep leads', database: 'unavailable', spool: 'unwritable' }) });
    expect((await fetch(`${theLab.app.url}/healthz`)).status).toBe(200);
    const refused = await theLab.webhook('CAnostore00000000000000000000000003', '+14045550111');
    expect(refused.status).toBe(200);
    expect(refused.body).toContain(BUSY_MESSAGE);
    expect(theLab.app.registry.get('CAnostore00000000000000000000000003')).toBeUndefined();
    expect(theLab.app.metrics.get('calls_rejected_no_lead_store_total')).toBe(1);

    // Space again: upkeep moves the held leads to the spool (the database is still away) and remakes the reserve.
    disk.free();
    await theLab.app.maintain();
    expect(await theLab.app.metrics.render()).toContain('psb_leads_held_in_memory 0');
    expect((await new LeadSpool(dataDir, database.logger).list()).map((e) => e.id).sort()).toEqual(outputs.map((o) => o.leadId).sort());
    expect(await readyz()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', database: 'unavailable', spool: 'ok' }) });
    const taken = await theLab.webhook('CAnostore00000000000000000000000004', '+14045550111');
    expect(taken.body).toContain('<Stream');
    // (Twilio never opens its stream: the call ends after PREWARM_TTL_MS and its lead is spooled too.)
    expect((await theLab.outcomeOf('CAnostore00000000000000000000000004')).reason).toMatch(/lead kept in the local spool$/);

    await proxy.restore();
    await theLab.app.maintain();
    for (const output of outputs) {
      expect(await rowsOfLead(output.leadId)).toBeGreaterThan(0);
      await eventually(async () => (theLab.npa.accepted.has(output.leadId) ? true : undefined), 20_000, 'NPA to accept the lead');
    }
    expect(theLab.app.metrics.get('leads_total', { outcome: 'lost' })).toBe(0);
  });

  it('SIGTERM stores the leads held in memory: into the database once it answers', async () => {
    const theLab = lab!;
    await proxy.restore().catch(() => undefined);
    disk.free();
    await theLab.app.maintain();
    const [output] = await callsWhileStoresFail(theLab, [{ callSid: 'CAnostore00000000000000000000000005', sample: 'public-04.json' }]);
    expect(output?.reason).toMatch(HELD);
    await proxy.restore();
    // No upkeep in between: the shutdown path (what SIGTERM runs) stores it.
    lab = undefined;
    await theLab.close();
    expect(await rowsOfLead(output?.leadId ?? '')).toBe(1);
    expect(logs.entries().filter((e) => e['event'] === 'lead_lost')).toEqual([]);
  });
});
