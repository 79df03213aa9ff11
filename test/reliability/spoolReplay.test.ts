// Leads the database answers for but refuses, through the real server on the real PostgreSQL (behind a TCP proxy
// the test cuts to make it unreachable). A data error is a failed lead with the reason, never a spooled one; a
// spooled line the database keeps refusing does not hold up the lines behind it, goes to the dead-letter file after
// SPOOL_MAX_TRIES replays and comes back with `leads spool retry`; and crash recovery runs whatever the spool holds.
// The refusals are real: a trigger on the test database raises the SQLSTATE (test/support/leadRefusals.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import { ROUTES } from '../../src/http/routes.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { createRepositories } from '../../src/db/repositories.js';
import { capturedLogs } from '../support/capturedLogs.js';
import { LeadRefusals } from '../support/leadRefusals.js';
import { runLeads } from '../support/runLeads.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from './serverProcess.js';
import { TcpProxy } from './tcpProxy.js';

const REFUSED = 'the database refused the lead (database error: DriverException (SQLSTATE 22P05))';
const SPOOL_MAX_TRIES = 3;

let database: TestDatabase;
let refusals: LeadRefusals;
let proxy: TcpProxy;
let lab: VoiceLab;
const logs = capturedLogs('warn');

beforeAll(async () => {
  database = await createTestDatabase();
  refusals = await LeadRefusals.install(database.db);
  const direct = new URL(database.url ?? '');
  proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(direct);
  viaProxy.port = String(await proxy.start());
  lab = await startVoiceLab({
    env: {
      ...database.env,
      DATABASE_URL: viaProxy.toString(),
      NPA_MAX_ATTEMPTS: '1',
      TRANSCRIPT_WAIT_MS: '300',
      SUBMISSION_TIMEOUT_MS: '15000',
      SPOOL_MAX_TRIES: String(SPOOL_MAX_TRIES),
    },
    logger: logs.logger,
    // Upkeep on demand (app.maintain); a session idle for a second counts as abandoned.
    overrides: { reliability: { RECOVERY_SWEEP_MS: 3_600_000, OUTBOX_POLL_MS: 200, RECOVERY_GRACE_MS: 1_000, HEARTBEAT_MS: 300 } },
  });
}, 60_000);

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await lab?.close();
  await proxy?.close();
  await database?.close();
});

/** The session's state read straight from the database (not through the proxy). */
/** A call's session by its CallSid, or a texter's latest SMS conversation by the number. */
async function sessionOf(key: string): Promise<Record<string, unknown> | undefined> {
  const sessions = createRepositories(database.db).sessions;
  const row = key.startsWith('+') ? await sessions.findSms(key) : await sessions.getByKey(key);
  return row?.state as Record<string, unknown> | undefined;
}

async function rowsOfLead(leadId: string): Promise<number> {
  const rows = await database.db.em().execute<{ n: string }[]>(
    `select (select count(*) from succeeded_leads where id = ?) + (select count(*) from failed_leads where id = ?) + (select count(*) from lead_outbox where id = ?) as n`,
    [leadId, leadId, leadId],
  );
  return Number(rows[0]?.n ?? 0);
}

const cli = (args: string[]) => runLeads(['spool', ...args], { DATA_DIR: database.dataDir, DATABASE_URL: database.url ?? '' });

const spool = () => new LeadSpool(database.dataDir, database.logger);

describe('a lead the database refuses for its data', { timeout: 60_000 }, () => {
  it('from a call: saved as a failed lead with the reason, not spooled, not sent', async () => {
    const callSid = 'CAdata0000000000000000000000000001';
    await refusals.refuse(callSid, 'lead_outbox', 1_000, 0, false, '22P05');
    const conversation = sampleConversation('public-01.json');
    const { output } = await placeScriptedCall(lab, { callSid, from: conversation.callerPhone ?? '', script: scriptFromTranscript(conversation) });
    expect(output).toMatchObject({ outcome: 'failed', reason: REFUSED, endReason: 'goodbye' });
    const failed = await createRepositories(database.db).failed.get(output.leadId);
    expect(failed).toMatchObject({ errorMessage: REFUSED, channel: 'voice', attempts: 0, leadData: { full_name: 'John Carter', zip_code: '30093' } });
    const session = await eventually(async () => {
      const state = await sessionOf(callSid);
      return state?.['phase'] === 'saved-failure' ? state : undefined;
    }, 5_000, 'the final phase');
    expect(session).toMatchObject({ outcome: 'failed', reason: REFUSED, leadId: output.leadId });
    expect((session['transcript'] as unknown[]).length).toBe(13);
    expect(session['spooled']).toBeUndefined();
    expect(await spool().isEmpty()).toBe(true);
    expect(lab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId)).toHaveLength(0);
  });

  it('from an SMS conversation: the texter gets the closing reply, the lead is a failed lead, nothing spooled', async () => {
    const phone = '+14075550129';
    await refusals.refuse(phone, 'lead_outbox', 1_000, 0, false, '22P05');
    let reply = '';
    for (const body of ['hi', 'Tom Becker', '32801', 'use this number', '2014 Suzuki V-Strom 650', 'yes']) {
      const response = await fetch(`${lab.app.url}${ROUTES.sms}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ From: phone, Body: body, MessageSid: 'SM0001', To: '+18005550100' }),
      });
      expect(response.status).toBe(200);
      reply = await response.text();
    }
    expect(reply).toContain('someone from our team will follow up');
    const leadId = String((await sessionOf(phone))?.['leadId']);
    expect(await createRepositories(database.db).failed.get(leadId)).toMatchObject({ errorMessage: REFUSED, channel: 'sms', leadData: { full_name: 'Tom Becker' } });
    expect(await spool().isEmpty()).toBe(true);
  });
});

describe('spool replay past a line the database refuses', { timeout: 90_000 }, () => {
  it('replays the lines behind it; after SPOOL_MAX_TRIES the line is a dead letter that `leads spool retry` re-queues', async () => {
    const refusedSid = 'CAdead0000000000000000000000000001';
    const laterSid = 'CAdead0000000000000000000000000002';
    // The refused call's lead cannot be stored even as a failed lead (outbox and failed rows both refused).
    for (const table of ['lead_outbox', 'failed_leads'] as const) await refusals.refuse(refusedSid, table, 1_000, 0, false, '22P05');
    await proxy.cut();
    const refused = await placeScriptedCall(lab, { callSid: refusedSid, from: '+14045550111', script: scriptFromTranscript(sampleConversation('public-01.json')) });
    const later = await placeScriptedCall(lab, { callSid: laterSid, from: '+14045550111', script: scriptFromTranscript(sampleConversation('public-03.json')) });
    for (const { output } of [refused, later]) expect(output.reason).toMatch(/lead kept in the local spool$/);
    await proxy.restore();

    await lab.app.maintain();
    // The line behind the refused one went in at once.
    await eventually(async () => (lab.npa.accepted.has(later.output.leadId) ? true : undefined), 20_000, 'NPA to accept the later lead');
    const queued = await cli(['list', '--json']);
    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout)).toEqual([
      expect.objectContaining({ id: refused.output.leadId, state: 'queued', tries: 1, lastError: 'database error: DriverException (SQLSTATE 22P05)', externalId: refusedSid }),
    ]);
    expect(logs.entries().filter((e) => e['msg'] === 'spooled lead refused by the database; will try again')).toHaveLength(1);

    for (let i = 1; i < SPOOL_MAX_TRIES; i++) await lab.app.maintain();
    expect(await new LeadSpool(database.dataDir, database.logger).isEmpty()).toBe(true);
    expect(await lab.app.metrics.render()).toContain('psb_leads_spool_dead_total 1');
    const dead = logs.entries().filter((e) => e['msg'] === 'spooled lead moved to the dead-letter file');
    expect(dead).toEqual([expect.objectContaining({ level: 50, leadId: refused.output.leadId, tries: SPOOL_MAX_TRIES })]);
    expect(await rowsOfLead(refused.output.leadId)).toBe(0);

    const table = await cli(['list']);
    expect(table.stdout).toMatch(/^ID\s+SPOOLED\s+CHANNEL\s+STATE\s+TRIES\s+EXTERNAL ID\s+LAST ERROR/);
    expect(table.stdout).toContain(`${refused.output.leadId}`);
    expect(table.stdout).toMatch(/dead\s+3\s+CAdead0+1\s+database error: DriverException \(SQLSTATE 22P05\)/);
    // No personal data in what the operator is shown.
    // The caller's details (a random id or time may hold the digits 555: the whole number is what must not show).
    expect(table.stdout).not.toMatch(/John|Carter|30093|4045550111|4075550129|555-01/);
    expect((await cli(['retry', randomUUID()])).code).toBe(3);
    expect((await cli(['retry'])).code).toBe(2);

    // The cause is fixed: the operator re-queues the lead; the next upkeep replays it.
    await refusals.lift(refusedSid);
    const retried = await cli(['retry', refused.output.leadId]);
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(retried.stdout).toContain(`${refused.output.leadId}  re-queued`);
    await lab.app.maintain();
    await eventually(async () => (lab.npa.accepted.has(refused.output.leadId) ? true : undefined), 20_000, 'NPA to accept the re-queued lead');
    expect((await cli(['list'])).stdout.trim()).toBe('the spool is empty');
    expect(lab.npa.accepted.size).toBe(2);
  });
});

describe('crash recovery while a lead waits in the spool', { timeout: 90_000 }, () => {
  it('recovers a call a dead process left, and leaves the call whose lead is in the spool alone', async () => {
    // A call whose lead stays in the spool (refused while the database answers), with its session left mid-call:
    // the database went away during the conversation.
    const spooledSid = 'CAspool000000000000000000000000001';
    for (const table of ['lead_outbox', 'failed_leads'] as const) await refusals.refuse(spooledSid, table, 1_000, 0, false, '22P05');
    const conversation = sampleConversation('public-02.json');
    const script: ScriptStep[] = scriptFromTranscript(conversation);
    script.splice(4, 0, { wait: 2_000 });
    const call = placeScriptedCall(lab, { callSid: spooledSid, from: conversation.callerPhone ?? '+14045550111', script });
    await eventually(async () => ((((await sessionOf(spooledSid))?.['transcript'] as unknown[] | undefined)?.length ?? 0) >= 3 ? true : undefined), 20_000, 'the first turns in the session');
    await proxy.cut();
    const { output } = await call;
    expect(output.reason).toMatch(/lead kept in the local spool$/);
    await proxy.restore();
    // The call retries its final phase until it lands; then its session is made stale again, as a process that
    // died right after spooling would have left it: only the spool can tell the sweep to leave it alone.
    await eventually(async () => ((await sessionOf(spooledSid))?.['phase'] === 'saved-failure' ? true : undefined), 20_000, 'the final phase');
    await database.db.em().execute(
      `update conversation_sessions set state = state || '{"phase":"streaming"}'::jsonb, updated_at = now() - interval '10 minutes' where session_key = ?`,
      [spooledSid],
    );

    // What a process SIGKILLed mid-conversation leaves behind (test/reliability/crashRecovery.test.ts makes one for
    // real): a voice session in phase streaming with the caller's turns, written long ago.
    const killedSid = 'CAkilled00000000000000000000000001';
    const killedLeadId = randomUUID();
    const killed = sampleConversation('public-04.json');
    await createRepositories(database.db).sessions.open({
      channel: 'voice',
      sessionKey: killedSid,
      state: { phase: 'streaming', callSid: killedSid, callerPhone: killed.callerPhone ?? null, leadId: killedLeadId, transcript: killed.turns },
    });
    await database.db.em().execute(`update conversation_sessions set updated_at = now() - interval '10 minutes' where session_key = ?`, [killedSid]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    await lab.app.maintain();
    expect(await new LeadSpool(database.dataDir, database.logger).isEmpty()).toBe(false);
    await eventually(async () => (lab.npa.accepted.has(killedLeadId) ? true : undefined), 20_000, 'NPA to accept the recovered lead');
    expect(await sessionOf(killedSid)).toMatchObject({ phase: 'recovered', recovery: { reason: 'recovered after a server restart', fromPhase: 'streaming' } });
    expect(lab.app.metrics.get('leads_recovered_total')).toBe(1);
    // The spooled call was not rebuilt from its stale session: its lead is the spool's to deliver.
    expect((await sessionOf(spooledSid))?.['phase']).toBe('streaming');
    expect(await sessionOf(spooledSid)).not.toHaveProperty('recovery');
    expect(await rowsOfLead(output.leadId)).toBe(0);
  });
});
