// Graceful shutdown of the real server (child process): SIGTERM answers new calls busy, lets the live call finish
// and save its lead, then exits 0; a second SIGTERM exits at once, and the lead of the call it cut short is
// recovered from its stored transcript by the next start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeNpa } from '../../src/fakes/fakeNpa.js';
import { scriptFromTranscript, type FakeOpenAI, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import type { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import type { Conversation } from '../../src/leads/lead.js';
import type { TestDatabase } from '../support/testDatabase.js';
import { eventually, ServerProcess, startProcessFakes, type ProcessFakes } from './serverProcess.js';
import { sampleConversation } from '../support/sharedTranscripts.js';

const sample = (name: string): Conversation =>
  sampleConversation(name);

let database: TestDatabase;
let openai: FakeOpenAI;
let npa: FakeNpa;
let env: Record<string, string>;
let fakes: ProcessFakes | undefined;
const servers: ServerProcess[] = [];
const callers: FakeTwilioCaller[] = [];

beforeAll(async () => {
  fakes = await startProcessFakes({ DRAIN_TIMEOUT_MS: '20000' });
  ({ database, openai, npa, env } = fakes);
}, 60_000);

afterAll(async () => {
  for (const caller of callers) caller.terminate();
  for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) await server.kill();
  await fakes?.close();
});

async function start(): Promise<ServerProcess> {
  const server = await ServerProcess.start(env);
  servers.push(server);
  return server;
}

async function transcriptLength(callSid: string): Promise<number> {
  const rows = await database.db.em().execute<{ n: number | null }[]>(
    `select jsonb_array_length(state->'transcript') as n from conversation_sessions where session_key = ?`,
    [callSid],
  );
  return rows[0]?.n ?? 0;
}

async function leadIdOf(callSid: string): Promise<string> {
  const rows = await database.db.em().execute<{ id: string }[]>(`select state->>'leadId' as id from conversation_sessions where session_key = ?`, [callSid]);
  return rows[0]?.id ?? '';
}

describe('SIGTERM', { timeout: 60_000 }, () => {
  it('answers new calls busy, lets the live call finish and save its lead, then exits 0', async () => {
    const server = await start();
    const conversation = sample('public-02.json');
    const script: ScriptStep[] = scriptFromTranscript(conversation);
    // A pause after the caller's first answer: SIGTERM arrives while the call is live.
    script.splice(2, 0, { wait: 8_000 });
    openai.enqueueScript(script);
    const callSid = 'CAdrain000000000000000000000000001';
    callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
    await eventually(async () => ((await transcriptLength(callSid)) >= 2 ? true : undefined), 20_000, 'the call to be under way');
    const phase = await database.db.em().execute<{ phase: string }[]>(`select state->>'phase' as phase from conversation_sessions where session_key = ?`, [callSid]);
    expect(phase[0]?.phase).toBe('streaming');

    server.signal('SIGTERM');
    // Once the process has taken the signal, a new call is refused with the busy message.
    await eventually(async () => (server.logs.some((l) => l['msg'] === 'shutting down: draining calls') ? true : undefined), 10_000, 'the signal to be taken');
    const busy = await server.webhook('CAdrain000000000000000000000000002', '+14045550199');
    expect(busy.status).toBe(200);
    expect(busy.body).toMatch(/<Say[^>]*>.+<\/Say><Hangup\/>/);

    const { code } = await server.exited();
    expect(code).toBe(0);
    const leadId = await leadIdOf(callSid);
    expect(npa.accepted.has(leadId)).toBe(true);
    const rows = await database.db.em().execute<{ n: string }[]>(`select count(*) as n from succeeded_leads where id = ?`, [leadId]);
    expect(rows[0]?.n).toBe('1');
    expect(server.logs.some((l) => l['msg'] === 'shutdown complete')).toBe(true);
  });

  it('a second SIGTERM exits at once; the next start recovers the cut-short call from its transcript', async () => {
    const server = await start();
    const conversation = sample('public-03.json');
    const lastCallerTurn = conversation.turns.map((t) => t.role).lastIndexOf('user');
    const turns = conversation.turns.slice(0, lastCallerTurn + 1);
    openai.enqueueScript([...scriptFromTranscript({ turns }).filter((s) => !('callerHangsUp' in s)), { wait: 600_000 }]);
    const callSid = 'CAdrain000000000000000000000000003';
    callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
    await eventually(async () => ((await transcriptLength(callSid)) === turns.length ? true : undefined), 20_000, 'the whole transcript stored');

    server.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const before = Date.now();
    server.signal('SIGTERM');
    const { code } = await server.exited();
    expect(code).toBe(1);
    expect(Date.now() - before).toBeLessThan(3_000);

    const leadId = await leadIdOf(callSid);
    await start();
    await eventually(async () => (npa.accepted.has(leadId) ? true : undefined), 20_000, 'the recovered lead to reach NPA');
    const accepted = [...npa.accepted.values()].filter((v) => (v.body as { external_id?: string }).external_id === callSid);
    expect(accepted).toHaveLength(1);
  });
});
