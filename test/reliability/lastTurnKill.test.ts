// A SIGKILL right after the caller's last answer reached the server: the answer is in the session (each caller
// turn is written as it arrives, not debounced), so the lead rebuilt after the restart is complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import { scriptFromTranscript, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { eventually, ServerProcess, startProcessFakes, type ProcessFakes } from './serverProcess.js';

/** How long after the fake sent the last caller transcription the server is killed (the old debounce was 250 ms). */
const KILL_AFTER_MS = 150;

let fakes: ProcessFakes | undefined;
let server: ServerProcess | undefined;
const callers: FakeTwilioCaller[] = [];

beforeAll(async () => {
  fakes = await startProcessFakes({ EXTRACTION_TIMEOUT_MS: '3000' });
}, 60_000);

afterAll(async () => {
  for (const caller of callers) caller.terminate();
  await server?.kill();
  await fakes?.close();
});

describe('SIGKILL a moment after the last caller turn', { timeout: 90_000 }, () => {
  it.each(['public-01.json', 'public-04.json'])('%s: no turn the server had received is lost', async (name) => {
    const { database, openai, npa, env } = fakes!;
    server = await ServerProcess.start(env);
    const conversation = sampleConversation(name);
    const lastCallerTurn = conversation.turns.map((t) => t.role).lastIndexOf('user');
    const turns = conversation.turns.slice(0, lastCallerTurn + 1);
    const steps = scriptFromTranscript({ turns }).filter((s) => !('callerHangsUp' in s));
    // The last caller line's transcription waits for the test, so it lands when every earlier write is done.
    const last = steps.map((s) => 'caller' in s).lastIndexOf(true);
    const script: ScriptStep[] = [...steps.map((s, i) => (i === last ? { ...s, holdTranscript: true } : s)), { wait: 600_000 }];
    const connections = openai.connections.length;
    openai.enqueueScript(script);
    const callSid = `CAlastturn${name.replace(/\D/g, '').padStart(24, '0')}`;
    callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
    const connection = await openai.waitForConnection(connections, 20_000);
    const said = turns.filter((t) => t.role === 'user').map((t) => t.text.trim());
    const storedLines = async (): Promise<string[]> => {
      const rows = await database.db.em().execute<{ state: { transcript?: Array<{ role: string; text: string }> } }[]>(
        `select state from conversation_sessions where session_key = ?`,
        [callSid],
      );
      return (rows[0]?.state.transcript ?? []).filter((t) => t.role === 'user').map((t) => t.text);
    };
    // Every line but the last is in the session (the call's writes are idle); then the last one arrives.
    await eventually(async () => ((await storedLines()).length === said.length - 1 ? true : undefined), 30_000, 'the earlier caller lines stored');
    await eventually(async () => (connection.releaseHeldTranscripts() === 1 ? true : undefined), 10_000, 'the last caller line held');
    await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
    await server.kill();

    const rows = await database.db.em().execute<{ state: { transcript?: Array<{ role: string; text: string }> ; leadId?: string } }[]>(
      `select state from conversation_sessions where session_key = ?`,
      [callSid],
    );
    const stored = rows[0]?.state.transcript ?? [];
    expect(stored.filter((t) => t.role === 'user').map((t) => t.text)).toEqual(said);

    // After the restart the sweep rebuilds the lead from the stored turns: complete, and sent.
    server = await ServerProcess.start(env);
    const leadId = String(rows[0]?.state.leadId);
    await eventually(async () => (npa.accepted.has(leadId) ? true : undefined), 30_000, `NPA to accept ${callSid}`);
    await server.kill();
    server = undefined;
  });
});
