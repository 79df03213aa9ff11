// Scale out: two instances on one database behind a round-robin TCP proxy (no sticky routing). A stream that lands
// where its call was not pre-warmed adopts the call from its session row; the pre-warming instance lets its model go
// and writes no lead. Every call is answered, one lead each, none duplicated; SIGKILL of one instance mid-call is
// recovered by the other.
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptFromTranscript, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import { ROUTES } from '../../src/http/routes.js';
import type { Conversation } from '../../src/leads/lead.js';
import { eventually, ServerProcess, startProcessFakes, type ProcessFakes } from '../reliability/serverProcess.js';
import { sampleConversation } from '../support/sharedTranscripts.js';

/** A loopback TCP proxy that hands each new connection to the next backend in turn, and says which it chose. */
async function roundRobinProxy(backends: () => number[]): Promise<{ port: number; chosen: number[]; close(): Promise<void> }> {
  const chosen: number[] = [];
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const ports = backends();
    const index = next++ % ports.length;
    chosen.push(index);
    const upstream = connect(ports[index] ?? 0, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    chosen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Twilio's voice webhook on a connection of its own (so the proxy routes it on its own). */
function postWebhook(port: number, callSid: string, from: string): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ CallSid: callSid, From: from, To: '+18005550100', AccountSid: 'AC_test' }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: ROUTES.voiceWebhook,
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), connection: 'close' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A connection the proxy routes and that carries nothing: it moves the round robin on by one. */
async function skipOne(port: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve();
    });
    socket.on('error', () => resolve());
  });
}

describe('two instances behind a round-robin proxy', { timeout: 180_000 }, () => {
  let fakes: ProcessFakes;
  const servers: ServerProcess[] = [];
  let proxy: Awaited<ReturnType<typeof roundRobinProxy>>;
  const callers: FakeTwilioCaller[] = [];
  const conversation: Conversation = sampleConversation('public-01.json');

  beforeAll(async () => {
    fakes = await startProcessFakes({ EXTRACTION_TIMEOUT_MS: '3000', SUBMISSION_TIMEOUT_MS: '5000', OUTBOX_RETRY_BASE_MS: '200' });
    for (const name of ['a', 'b']) {
      const dataDir = join(fakes.database.dataDir, name);
      await mkdir(dataDir, { recursive: true });
      servers.push(await ServerProcess.start({ ...fakes.env, INSTANCE_ID: `instance-${name}`, DATA_DIR: dataDir }));
    }
    proxy = await roundRobinProxy(() => servers.map((s) => s.port));
  }, 90_000);
  afterAll(async () => {
    for (const caller of callers) caller.terminate();
    await proxy?.close();
    await Promise.all(servers.map((s) => s.kill()));
    await fakes?.close();
  });

  async function rows(callSid: string): Promise<{ succeeded: number; failed: number; leadIds: string[]; claimedBy: string | null; instanceId: string | null }> {
    const [counts] = await fakes.database.db.em().execute<{ succeeded: string; failed: string; claimed_by: string | null; instance_id: string | null }[]>(
      `select (select count(*) from succeeded_leads s where s.session_id = c.id) as succeeded,
              (select count(*) from failed_leads f where f.session_id = c.id) as failed,
              c.state->>'streamClaimedBy' as claimed_by, c.state->>'instanceId' as instance_id
         from conversation_sessions c where c.session_key = ?`,
      [callSid],
    );
    const leadIds = await fakes.database.db.em().execute<{ id: string }[]>(
      `select s.id from succeeded_leads s join conversation_sessions c on c.id = s.session_id where c.session_key = ?`,
      [callSid],
    );
    return {
      succeeded: Number(counts?.succeeded ?? 0),
      failed: Number(counts?.failed ?? 0),
      leadIds: leadIds.map((r) => r.id),
      claimedBy: counts?.claimed_by ?? null,
      instanceId: counts?.instance_id ?? null,
    };
  }

  /** Webhook, then the stream; `split`: on the other instance (the round robin's next), else the same one. */
  async function place(callSid: string, split: boolean): Promise<{ webhookOn: number; streamOn: number; caller: FakeTwilioCaller }> {
    const from = conversation.callerPhone ?? '+14045550111';
    const hook = await postWebhook(proxy.port, callSid, from);
    expect(hook.status, hook.body).toBe(200);
    expect(hook.body).toContain('<Stream');
    const webhookOn = proxy.chosen.at(-1) ?? -1;
    if (!split) await skipOne(proxy.port);
    const caller = await FakeTwilioCaller.connect({ url: `ws://127.0.0.1:${proxy.port}${ROUTES.stream}`, callSid, from, realTime: false });
    callers.push(caller);
    caller.startStreaming();
    return { webhookOn, streamOn: proxy.chosen.at(-1) ?? -1, caller };
  }

  it('answers 24 calls, half of them with webhook and stream on different instances: one lead each, none twice', async () => {
    fakes.openai.setDefaultScript(scriptFromTranscript(conversation));
    const placed: Array<{ callSid: string; webhookOn: number; streamOn: number }> = [];
    for (let i = 0; i < 24; i++) {
      const callSid = `CAscale${String(i).padStart(27, '0')}`;
      const { webhookOn, streamOn } = await place(callSid, i % 2 === 0);
      placed.push({ callSid, webhookOn, streamOn });
    }
    expect(placed.filter((p) => p.webhookOn !== p.streamOn)).toHaveLength(12);

    for (const { callSid, streamOn } of placed) {
      const row = await eventually(async () => {
        const r = await rows(callSid);
        return r.succeeded === 1 ? r : undefined;
      }, 60_000, `the lead of ${callSid}`);
      expect(row.failed, callSid).toBe(0);
      // The instance the stream reached ran the call.
      expect(row.claimedBy, callSid).toBe(`instance-${streamOn === 0 ? 'a' : 'b'}`);
      const leadId = row.leadIds[0] ?? '';
      expect(fakes.npa.accepted.has(leadId), callSid).toBe(true);
    }
    // NPA took each call's lead once: 24 leads, 24 keys.
    const keys = fakes.npa.requests.map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(24);
    expect(fakes.npa.accepted.size).toBe(24);
    // The pre-warming instances let twelve models go without a lead.
    await eventually(async () => (servers.flatMap((s) => s.logs).filter((l) => l['event'] === 'call_handed_off').length === 12 ? true : undefined), 10_000, 'twelve hand-offs');
    expect(servers.flatMap((s) => s.logs).filter((l) => l['event'] === 'call_adopted')).toHaveLength(12);
  });

  it('SIGKILL of one instance mid-call: the other recovers its calls, each lead once', async () => {
    const lastCallerTurn = conversation.turns.map((t) => t.role).lastIndexOf('user');
    const turns = conversation.turns.slice(0, lastCallerTurn + 1);
    // Everything said, no goodbye: the calls stay live until their process dies or the caller hangs up.
    const script: ScriptStep[] = [...scriptFromTranscript({ turns }).filter((s) => !('callerHangsUp' in s)), { wait: 600_000 }];
    fakes.openai.setDefaultScript(script);
    const live: Array<{ callSid: string; streamOn: number; caller: FakeTwilioCaller }> = [];
    for (let i = 0; i < 4; i++) {
      const callSid = `CAscalekill${String(i).padStart(23, '0')}`;
      const { streamOn, caller } = await place(callSid, i % 2 === 0);
      live.push({ callSid, streamOn, caller });
    }
    // Every call has said everything; then instance b dies.
    for (const { callSid } of live) {
      await eventually(async () => {
        const [row] = await fakes.database.db.em().execute<{ n: string }[]>(
          `select jsonb_array_length(coalesce(state->'transcript', '[]'::jsonb)) as n from conversation_sessions where session_key = ?`,
          [callSid],
        );
        return Number(row?.n ?? 0) >= turns.length ? true : undefined;
      }, 30_000, `the transcript of ${callSid}`);
    }
    const victim = servers[1];
    if (victim === undefined) throw new Error('no second instance');
    await victim.kill();
    // The calls on instance a end when their callers hang up; those on b are recovered by a's sweep.
    for (const { caller, streamOn } of live) if (streamOn === 0) void caller.hangUp();
    for (const { callSid } of live) {
      const row = await eventually(async () => {
        const r = await rows(callSid);
        return r.succeeded === 1 ? r : undefined;
      }, 60_000, `the lead of ${callSid}`);
      expect(row.failed, callSid).toBe(0);
      const leadId = row.leadIds[0] ?? '';
      expect(fakes.npa.requests.filter((r) => r.headers['idempotency-key'] === leadId).length, callSid).toBeGreaterThanOrEqual(1);
      expect([...fakes.npa.accepted.keys()].filter((k) => k === leadId), callSid).toHaveLength(1);
    }
    // The calls instance b was running when it died were rebuilt by instance a's sweep from their sessions.
    const onVictim = live.filter((c) => c.streamOn === 1);
    expect(onVictim.length).toBeGreaterThan(0);
    for (const { callSid } of onVictim) {
      const [row] = await fakes.database.db.em().execute<{ phase: string }[]>(`select state->>'phase' as phase from conversation_sessions where session_key = ?`, [callSid]);
      expect(row?.phase, callSid).toBe('recovered');
    }
  });
});
