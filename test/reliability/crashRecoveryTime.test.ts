// How fast a SIGKILLed server's leads are delivered after its restart, with the default recovery settings (issue 12,
// item 6). Before: 90 s mid-call (RECOVERY_GRACE_MS) and the whole outbox lease (135 s, then longer) with the NPA
// request in flight. Target: within 30 s of the restart in both cases. The real server runs in a child process on
// the real PostgreSQL; the test measures and reports (annotations; `--reporter=verbose` prints them) and asserts a
// generous bound, twice the target.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeNpa } from '../../src/fakes/fakeNpa.js';
import { scriptFromTranscript, type FakeOpenAI, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import type { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import type { TestDatabase } from '../support/testDatabase.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { eventually, ServerProcess, startProcessFakes, type ProcessFakes } from './serverProcess.js';

const TARGET_MS = 30_000;
const BOUND_MS = 2 * TARGET_MS;

let fakes: ProcessFakes | undefined;
let database: TestDatabase;
let openai: FakeOpenAI;
let npa: FakeNpa;
let env: Record<string, string>;
const servers: ServerProcess[] = [];
const callers: FakeTwilioCaller[] = [];

beforeAll(async () => {
  fakes = await startProcessFakes();
  ({ database, openai, npa } = fakes);
  // The lab's environment without its recovery, outbox and NPA shortcuts: the server runs the defaults.
  const keep = new Set(['NPA_API_URL', 'NPA_API_USERNAME', 'NPA_API_PASSWORD']);
  env = Object.fromEntries(Object.entries(fakes.env).filter(([key]) => keep.has(key) || !/^(NPA|OUTBOX|RECOVERY)_|^HEARTBEAT_MS$/.test(key)));
}, 60_000);

async function killAll(): Promise<void> {
  for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) await server.kill();
}

// Each case starts with no server of an earlier case alive (one would take the dead instance's work over too).
beforeEach(killAll);

afterAll(async () => {
  for (const caller of callers) caller.terminate();
  await killAll();
  await fakes?.close();
});

async function start(extra: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await ServerProcess.start({ ...env, ...extra });
  servers.push(server);
  return server;
}

async function sessionState(callSid: string): Promise<Record<string, unknown> | undefined> {
  const rows = await database.db.em().execute<{ state: Record<string, unknown> }[]>(`select state from conversation_sessions where session_key = ?`, [callSid]);
  return rows[0]?.state;
}

/** A call that says everything but never says goodbye: it stays live until its process dies. Resolves with its lead id. */
async function liveCall(server: ServerProcess, callSid: string): Promise<string> {
  const conversation = sampleConversation('public-01.json');
  const lastCallerTurn = conversation.turns.map((t) => t.role).lastIndexOf('user');
  const turns = conversation.turns.slice(0, lastCallerTurn + 1);
  const script: ScriptStep[] = [...scriptFromTranscript({ turns }).filter((s) => !('callerHangsUp' in s)), { wait: 600_000 }];
  openai.enqueueScript(script);
  callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
  const state = await eventually(
    async () => {
      const s = await sessionState(callSid);
      return Array.isArray(s?.['transcript']) && (s['transcript'] as unknown[]).length === turns.length ? s : undefined;
    },
    30_000,
    'the transcript in the session',
  );
  return String(state['leadId']);
}

/** A complete call whose lead's NPA request is in flight (the fake holds it). Resolves with its lead id. */
async function callWithRequestInFlight(server: ServerProcess, callSid: string): Promise<string> {
  npa.setMode('slow', { slowMs: 600_000 });
  const conversation = sampleConversation('public-02.json');
  openai.enqueueScript(scriptFromTranscript(conversation));
  callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
  const inFlight = await eventually(
    async () => npa.requests.find((r) => (r.body as { external_id?: string }).external_id === callSid && r.endedAt === undefined),
    30_000,
    'the NPA request in flight',
  );
  return String(inFlight.headers['idempotency-key']);
}

/** Kills `server`, restarts it (with `extra` env) and resolves with how long after the restart each lead was accepted by NPA. */
async function killAndRestart(server: ServerProcess, leadIds: string[], extra: Record<string, string> = {}): Promise<{ server: ServerProcess; afterMs: number[] }> {
  await server.kill();
  npa.setMode('ok');
  const restartedAt = Date.now();
  const restarted = await start(extra);
  const afterMs = await Promise.all(
    leadIds.map((leadId) =>
      eventually(async () => (npa.accepted.has(leadId) ? Date.now() - restartedAt : undefined), BOUND_MS, `NPA to accept lead ${leadId}`),
    ),
  );
  return { server: restarted, afterMs };
}

/** One lead, once: NPA holds it under its own key and we hold one succeeded row. */
async function expectDeliveredOnce(callSid: string, leadId: string): Promise<void> {
  const keys = new Set(npa.requests.filter((r) => (r.body as { external_id?: string }).external_id === callSid).map((r) => r.headers['idempotency-key']));
  expect([...keys]).toEqual([leadId]);
  await eventually(
    async () => {
      const rows = await database.db.em().execute<{ n: string }[]>(`select count(*) as n from succeeded_leads where id = ?`, [leadId]);
      return rows[0]?.n === '1' ? true : undefined;
    },
    10_000,
    'one succeeded row',
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('SIGKILL with the default recovery settings: leads delivered within 30 s of the restart', { timeout: 180_000 }, () => {
  it('mid-call (a new instance id after the restart): taken over once the dead instance’s heartbeat is stale', async ({ annotate }) => {
    const server = await start();
    const callSid = 'CAtime00000000000000000000000000001';
    const leadId = await liveCall(server, callSid);
    const { afterMs } = await killAndRestart(server, [leadId]);
    await annotate(`mid-call, new instance id: lead delivered ${seconds(afterMs[0]!)} after the restart (target ${seconds(TARGET_MS)})`);
    expect(afterMs[0]).toBeLessThan(BOUND_MS);
    await expectDeliveredOnce(callSid, leadId);
    expect(await sessionState(callSid)).toMatchObject({ phase: 'recovered', outcome: 'succeeded' });
  });

  it('with the NPA request in flight (a new instance id): the claim is taken over, the same key sent again', async ({ annotate }) => {
    const server = await start();
    const callSid = 'CAtime00000000000000000000000000002';
    const leadId = await callWithRequestInFlight(server, callSid);
    const { afterMs } = await killAndRestart(server, [leadId]);
    await annotate(`NPA request in flight, new instance id: lead delivered ${seconds(afterMs[0]!)} after the restart (target ${seconds(TARGET_MS)})`);
    expect(afterMs[0]).toBeLessThan(BOUND_MS);
    await expectDeliveredOnce(callSid, leadId);
  });

  it('both at once, restarted with the same INSTANCE_ID: its own calls and claims are taken over at start-up', async ({ annotate }) => {
    const id = { INSTANCE_ID: 'lead-line-test-1' };
    const server = await start(id);
    const midCall = 'CAtime00000000000000000000000000003';
    const inFlight = 'CAtime00000000000000000000000000004';
    const midCallLead = await liveCall(server, midCall);
    const inFlightLead = await callWithRequestInFlight(server, inFlight);
    const { server: restarted, afterMs } = await killAndRestart(server, [midCallLead, inFlightLead], id);
    await annotate(
      `same INSTANCE_ID: mid-call lead delivered ${seconds(afterMs[0]!)}, in-flight lead ${seconds(afterMs[1]!)} after the restart`,
    );
    expect(Math.max(...afterMs)).toBeLessThan(BOUND_MS);
    await expectDeliveredOnce(midCall, midCallLead);
    await expectDeliveredOnce(inFlight, inFlightLead);
    // Taken over by the start-up itself, not by a heartbeat going stale or a lease running out.
    const startup = restarted.logs.find((l) => l['event'] === 'instance_started');
    expect(startup).toMatchObject({ instanceId: 'lead-line-test-1', releasedClaims: 1 });
  });
});

describe('configuration', () => {
  it('refuses a recovery grace shorter than two heartbeats: exit 2, one line naming both variables', async () => {
    const failed = await ServerProcess.start({ ...env, RECOVERY_GRACE_MS: '15000', HEARTBEAT_MS: '10000' }).catch((error: unknown) => error);
    if (failed instanceof ServerProcess) servers.push(failed);
    expect(String(failed)).toMatch(/code 2\b/);
    expect(String(failed)).toMatch(/Invalid configuration: RECOVERY_GRACE_MS: must be at least 2 x HEARTBEAT_MS \(20000\)\n?$/);
  });
});
