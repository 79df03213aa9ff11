// Crash safety: the real server in a child process is SIGKILLed at each step of a lead's life (mid-call, with the
// lead in the outbox before NPA took it, with the NPA request in flight) and restarted on the same database. Every
// lead ends up accepted by the (fake) NPA API exactly once under its own Idempotency-Key, with one succeeded row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeNpa } from '../../src/fakes/fakeNpa.js';
import { scriptFromTranscript, type FakeOpenAI, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import type { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import type { Conversation } from '../../src/leads/lead.js';
import type { TestDatabase } from '../support/testDatabase.js';
import { eventually, ServerProcess, startProcessFakes, type ProcessFakes } from './serverProcess.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWavHeader } from '../../src/recordings/wavHeader.js';

const sample = (name: string): Conversation =>
  sampleConversation(name);

let database: TestDatabase;
let openai: FakeOpenAI;
let npa: FakeNpa;
let env: Record<string, string>;
let fakes: ProcessFakes | undefined;
let server: ServerProcess | undefined;
const callers: FakeTwilioCaller[] = [];

beforeAll(async () => {
  fakes = await startProcessFakes({
    // A lease of about 6.5 s: one HTTP attempt per pass, so the outbox (not the client) does the retrying.
    EXTRACTION_TIMEOUT_MS: '3000',
    SUBMISSION_TIMEOUT_MS: '5000',
    OUTBOX_RETRY_BASE_MS: '200',
  });
  ({ database, openai, npa, env } = fakes);
}, 60_000);

afterAll(async () => {
  for (const caller of callers) caller.terminate();
  await server?.kill();
  await fakes?.close();
});

async function restart(): Promise<void> {
  await server?.kill();
  server = await ServerProcess.start(env);
}

async function session(callSid: string): Promise<Record<string, unknown> | undefined> {
  const row = await database.db.em().execute<{ state: Record<string, unknown> }[]>(
    `select state from conversation_sessions where session_key = ?`,
    [callSid],
  );
  return row[0]?.state;
}

async function outboxRow(id: string): Promise<{ status: string; attempts: number } | undefined> {
  const rows = await database.db.em().execute<{ status: string; attempts: number }[]>(`select status, attempts from lead_outbox where id = ?`, [id]);
  return rows[0];
}

/** Exactly once: NPA accepted this call's lead under one key (its lead id), and we hold one succeeded row. */
async function expectDeliveredOnce(callSid: string, leadId: string): Promise<void> {
  await eventually(async () => (npa.accepted.has(leadId) ? true : undefined), 30_000, `NPA to accept ${callSid}`);
  await eventually(async () => ((await outboxRow(leadId))?.status === 'succeeded' ? true : undefined), 10_000, 'the outbox row to finish');
  const acceptedForCall = [...npa.accepted.entries()].filter(([, v]) => (v.body as { external_id?: string }).external_id === callSid);
  expect(acceptedForCall.map(([key]) => key)).toEqual([leadId]);
  const keys = new Set(npa.requests.filter((r) => (r.body as { external_id?: string }).external_id === callSid).map((r) => r.headers['idempotency-key']));
  expect([...keys]).toEqual([leadId]);
  const counts = await database.db.em().execute<{ succeeded: string; failed: string }[]>(
    `select (select count(*) from succeeded_leads s join conversation_sessions c on c.id = s.session_id where c.session_key = ?) as succeeded,
            (select count(*) from failed_leads f join conversation_sessions c on c.id = f.session_id where c.session_key = ?) as failed`,
    [callSid, callSid],
  );
  expect(counts[0]).toEqual({ succeeded: '1', failed: '0' });
  expect((await session(callSid))?.['outcome']).toBe('succeeded');
}

describe('SIGKILL at each step of a lead', { timeout: 90_000 }, () => {
  it('during the call (before the goodbye): the stored transcript becomes the lead after the restart', async () => {
    server = await ServerProcess.start(env);
    const conversation = sample('public-01.json');
    const lastCallerTurn = conversation.turns.map((t) => t.role).lastIndexOf('user');
    const turns = conversation.turns.slice(0, lastCallerTurn + 1);
    // Everything said, no goodbye: the call stays live until the process dies.
    const script: ScriptStep[] = [...scriptFromTranscript({ turns }).filter((s) => !('callerHangsUp' in s)), { wait: 600_000 }];
    openai.enqueueScript(script);
    const callSid = 'CAcrash0000000000000000000000000001';
    callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
    const state = await eventually(
      async () => {
        const s = await session(callSid);
        return Array.isArray(s?.['transcript']) && (s['transcript'] as unknown[]).length === turns.length ? s : undefined;
      },
      30_000,
      'the transcript in the session',
    );
    expect(state['phase']).toBe('streaming');
    const leadId = String(state['leadId']);
    expect(npa.accepted.has(leadId)).toBe(false);
    // Killed once the recording on disk holds a second of the call (written in batches, header kept current).
    const partial = join(database.dataDir, 'recordings-partial', `${callSid}.wav`);
    await eventually(async () => ((await stat(partial).catch(() => null))?.size ?? 0) >= 44 + 8000 * 4 || undefined, 15_000, 'a second of recording on disk');

    await restart();
    await expectDeliveredOnce(callSid, leadId);
    expect(await session(callSid)).toMatchObject({ phase: 'recovered', recovery: { reason: 'recovered after a server restart', fromPhase: 'streaming' } });

    // The recording the killed process was writing: repaired at the restart, stored, and linked to the recovered
    // lead through its session; it plays (a valid header whose sizes match the file) up to its last batch.
    const recording = await eventually(async () => {
      const rows = await database.db.em().execute<{ status: string; store_key: string; bytes: string; duration_ms: number; lead: string | null }[]>(
        `select r.status, r.store_key, r.bytes, r.duration_ms, s.id as lead
           from call_recordings r left join succeeded_leads s on s.session_id = r.session_id where r.call_sid = ?`,
        [callSid],
      );
      return rows[0];
    }, 15_000, 'the partial recording stored');
    expect(recording).toMatchObject({ status: 'partial', lead: leadId });
    const file = await readFile(join(database.dataDir, 'recordings', recording.store_key));
    expect(file.length).toBe(Number(recording.bytes));
    const header = parseWavHeader(file);
    expect(header).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16, dataBytes: file.length - 44 });
    expect(recording.duration_ms).toBeGreaterThanOrEqual(1000);
    // The row's duration is whole ms; the file's is samples / 8.
    expect(Math.abs(header.dataBytes / 4 / 8 - recording.duration_ms)).toBeLessThan(1);
  });

  it('after extraction, before NPA took it: the outbox row survives and is sent once', async () => {
    npa.setMode('fail-503');
    const conversation = sample('public-02.json');
    openai.enqueueScript(scriptFromTranscript(conversation));
    const callSid = 'CAcrash0000000000000000000000000002';
    callers.push(await server!.call(callSid, conversation.callerPhone ?? '+14045550111'));
    const leadId = await eventually(
      async () => {
        const s = await session(callSid);
        const id = typeof s?.['leadId'] === 'string' ? s['leadId'] : undefined;
        const row = id === undefined ? undefined : await outboxRow(id);
        return row?.status === 'pending' && row.attempts >= 1 ? id : undefined;
      },
      30_000,
      'a pending outbox row that NPA refused once',
    );
    expect(npa.accepted.has(leadId)).toBe(false);

    await server!.kill();
    npa.setMode('ok');
    server = await ServerProcess.start(env);
    await expectDeliveredOnce(callSid, leadId);
  });

  it('while the NPA request is in flight: the dead instance’s claim is taken over and the same key sent again, accepted once', async () => {
    npa.setMode('slow', { slowMs: 60_000 });
    const conversation = sample('public-03.json');
    openai.enqueueScript(scriptFromTranscript(conversation));
    const callSid = 'CAcrash0000000000000000000000000003';
    callers.push(await server!.call(callSid, conversation.callerPhone ?? '+14045550111'));
    const inFlight = await eventually(
      async () =>
        npa.requests.find((r) => (r.body as { external_id?: string }).external_id === callSid && r.status === undefined),
      30_000,
      'the NPA request in flight',
    );
    const leadId = String(inFlight.headers['idempotency-key']);

    await server!.kill();
    npa.setMode('ok');
    server = await ServerProcess.start(env);
    await expectDeliveredOnce(callSid, leadId);
  });
});
