// A spool append cut short by a full disk, through the real server on the real PostgreSQL (cut away behind a TCP
// proxy). The server's spool writes go to a disk that fills up (test/support/cappedDisk.ts, modelled on a full
// tmpfs: the append fills the file's last page and stops there, no newline, ENOSPC). Before issue 12 the torn lead
// was lost and the next lead, spooled once space was freed and reported "spooled to disk", was appended to the torn
// line and set aside as unreadable at replay: it never reached the database either.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { createRepositories } from '../../src/db/repositories.js';
import { LeadSpool, SPOOL_FILE } from '../../src/outbox/leadSpool.js';
import { spoolLine, type SpoolRecord } from '../../src/outbox/spoolRecord.js';
import { CappedDisk } from '../support/cappedDisk.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from './serverProcess.js';
import { TcpProxy } from './tcpProxy.js';

let database: TestDatabase;
let proxy: TcpProxy;
let viaProxy: string;
const labs: VoiceLab[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const direct = new URL(database.url ?? '');
  proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  const url = new URL(direct);
  url.port = String(await proxy.start());
  viaProxy = url.toString();
}, 60_000);

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  for (const lab of labs) await lab.close();
  await proxy?.close();
  await database?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function startLab(dataDir: string, disk?: CappedDisk): Promise<VoiceLab> {
  const lab = await startVoiceLab({
    env: { ...database.env, DATABASE_URL: viaProxy, DATA_DIR: dataDir, NPA_MAX_ATTEMPTS: '1', TRANSCRIPT_WAIT_MS: '300', SUBMISSION_TIMEOUT_MS: '15000' },
    logger: database.logger,
    overrides: { reliability: { RECOVERY_SWEEP_MS: 3_600_000, OUTBOX_POLL_MS: 200 }, ...(disk ? { spoolWriter: disk } : {}) },
  });
  labs.push(lab);
  return lab;
}

const repos = () => createRepositories(database.db);
const call = (lab: VoiceLab, callSid: string, sample: string) =>
  placeScriptedCall(lab, { callSid, from: '+14045550111', script: scriptFromTranscript(sampleConversation(sample)) });

describe('a spool append cut short by a full disk', { timeout: 90_000 }, () => {
  it('does not take the next lead with it: that lead is replayed into the database and sent', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'psb-torn-'));
    dirs.push(dataDir);
    const disk = new CappedDisk(dataDir);
    const lab = await startLab(dataDir, disk);
    const spool = new LeadSpool(dataDir, database.logger);
    await proxy.cut();
    // Two leads spooled while there is room (about 1.6 KB each); then the disk is full, and the next append fills
    // what is left of the file's last page and stops.
    const spooled = [await call(lab, 'CAtorn0000000000000000000000000001', 'public-01.json'), await call(lab, 'CAtorn0000000000000000000000000004', 'public-04.json')];
    for (const { output } of spooled) expect(output.reason).toMatch(/lead kept in the local spool$/);
    const sizeBefore = (await readFile(spool.path)).length;
    await disk.fill();
    const torn = await call(lab, 'CAtorn0000000000000000000000000002', 'public-02.json');
    expect(disk.refusals).toBeGreaterThan(0);
    // The torn bytes were truncated away; the spool's disk reserve then gave the lead room, written whole from the
    // end of the last record (without the truncation it would have been glued to its own torn copy).
    expect(torn.output.reason).toMatch(/lead kept in the local spool$/);
    expect((await readFile(spool.path)).length).toBeGreaterThan(sizeBefore);
    const idsInSpool = async () => (await readFile(spool.path, 'utf8')).split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(await idsInSpool()).toEqual([...spooled, torn].map((c) => c.output.leadId));

    // Space again; the next upkeep remakes the spool's reserve (until then, with the database away too, new calls
    // hear the busy message: test/reliability/noLeadStore.test.ts).
    disk.free();
    await lab.app.maintain();
    expect(lab.app.spool.ready).toBe(true);
    const next = await call(lab, 'CAtorn0000000000000000000000000003', 'public-03.json');
    expect(next.output.reason).toMatch(/lead kept in the local spool$/);
    expect(await idsInSpool()).toEqual([...spooled, torn, next].map((c) => c.output.leadId));

    await proxy.restore();
    await lab.app.maintain();
    for (const { output } of [...spooled, torn, next]) {
      await eventually(async () => (lab.npa.accepted.has(output.leadId) ? true : undefined), 20_000, 'NPA to accept the spooled lead');
    }
    expect(await spool.isEmpty()).toBe(true);
    await expect(readFile(join(dataDir, 'lead-spool.rejected.jsonl'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    // Its outbox worker would otherwise compete for the next test's leads on the shared database.
    labs.splice(labs.indexOf(lab), 1);
    await lab.close();
  });
});

/** A spooled lead as the server writes one. */
function spooledLead(callSid: string, name: string): SpoolRecord {
  return {
    v: 1,
    id: randomUUID(),
    channel: 'voice',
    externalId: callSid,
    sessionKey: callSid,
    sessionState: { phase: 'saved-failure', spooled: true, callSid, transcript: [{ role: 'user', text: `my name is ${name}` }] },
    lead: { full_name: name, zip_code: '30093', phone: '+14045550111', vehicle_year: 2019, vehicle_make: 'Honda', vehicle_model: 'Rebel 500' },
    refusal: null,
    spooledAt: new Date().toISOString(),
  };
}

describe('a spool damaged by an earlier torn write', { timeout: 60_000 }, () => {
  it('gives back the whole records on a damaged line at replay; only the torn fragment is set aside', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'psb-damaged-'));
    dirs.push(dataDir);
    await mkdir(dataDir, { recursive: true });
    const [lost, glued, after] = [spooledLead('CAdmg1', 'Ann Lee'), spooledLead('CAdmg2', 'Bo Diaz'), spooledLead('CAdmg3', 'Cy Park')];
    // As the old code left it: a record torn half-way with no newline, the next record appended to it.
    const fragment = spoolLine(lost).slice(0, Math.floor(spoolLine(lost).length / 2));
    await writeFile(join(dataDir, SPOOL_FILE), `${fragment}${spoolLine(glued)}\n${spoolLine(after)}\n`);

    await proxy.restore().catch(() => undefined);
    const lab = await startLab(dataDir);
    await lab.app.maintain();
    for (const record of [glued, after]) {
      await eventually(async () => (lab.npa.accepted.has(record.id) ? true : undefined), 20_000, 'NPA to accept the recovered lead');
      expect((await repos().sessions.getByKey(record.sessionKey))?.state).toMatchObject({ phase: 'saved-failure', spooled: true });
    }
    expect(await new LeadSpool(dataDir, database.logger).isEmpty()).toBe(true);
    expect(await readFile(join(dataDir, 'lead-spool.rejected.jsonl'), 'utf8')).toBe(`${fragment}\n`);
    expect(lab.npa.accepted.has(lost.id)).toBe(false);
  });
});
