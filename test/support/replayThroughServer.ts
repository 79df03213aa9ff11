import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyActorRef } from 'xstate';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import type { FakeRealtimeConnection } from '../../src/fakes/fakeOpenAI.js';
import { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import { ROUTES } from '../../src/http/routes.js';
import type { CallOutput } from '../../machines/callTypes.js';
import type { Lead, Turn } from '../../src/leads/lead.js';
import { stateKey, type CallPath } from './callMachinePaths.js';
import type { LeadRefusals } from './leadRefusals.js';
import type { NpaRouter } from './npaRouter.js';
import { DISPUTED_LLM_PHONE, type ServerPlan, type StepPlan } from './pathStimuli.js';
import { startRealtimeGate, type RealtimeGate } from './realtimeGate.js';
import type { TestDatabase } from './testDatabase.js';

/** The fake LLM's answer on every path: a complete lead, so the submission's outcome is the NPA's (or the database's). */
export const COMPLETE_LLM_LEAD = {
  full_name: 'Pat Example',
  zip_code: '30301',
  phone: '+14045550123',
  vehicle_year: '2019',
  vehicle_make: 'Honda',
  vehicle_model: 'TRX 450R',
};
export const CALLER_PHONE = '+14045550123';
/** The fake LLM's answer on a path whose lead is refused as incomplete. */
export const INCOMPLETE_LLM_LEAD = { ...COMPLETE_LLM_LEAD, phone: null };
/** Long enough for GOODBYE_PLAYBACK_TIMEOUT (8 s, not configurable) plus slack. */
const STEP_WAIT_MS = 12_000;
/** How long a pending lead may take to get its row from a worker after the call (slow NPA plus a backoff or two). */
const FINAL_ROW_WAIT_MS = 15_000;

/** What the replay saw, for the test's assertions. */
export interface ServerReplayResult {
  output: CallOutput;
  /** Distinct states the live actor went through, in order. */
  states: string[];
  expectedStates: string[];
  /** The session once the call's final phase landed (its outcome 'pending' while a worker still has the lead). */
  session: { phase: unknown; outcome: unknown; endReason: unknown; lostReason: unknown; spooled: unknown } | null;
  /** The session's outcome once the lead has its final row (or right away for a lost lead). */
  finalOutcome: unknown;
  succeededRows: number;
  failedRows: number;
  rowsForLeadId: number;
  /** The lead's outbox status at the end (null: the lead never went through the outbox). */
  outboxStatus: string | null;
  /** The lead's review state in lead_decisions (null: no decision row). */
  review: string | null;
  /** Requests the fake NPA got under the lead id as Idempotency-Key, and how many it answered 2xx. */
  npaRequests: number;
  npaAccepted: number;
  /** Whether the fake NPA holds a lead under that key. */
  npaHolds: boolean;
  afterStreamTwiml: string;
  /** The after-stream TwiML speaks (the apology) rather than only hanging up. */
  apologised: boolean;
}

interface Watch {
  states: string[];
  fieldsChanges: number;
  /** The state the machine was in at each FIELDS_UPDATED (a new fields object). */
  fieldsStates: string[];
  /** The state in which each user line first showed up in the transcript. */
  lineStates: Map<string, string>;
  transcript: Turn[];
  fields: Lead | null;
}

/** Polls `predicate` every few ms; throws with `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = STEP_WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function watchActor(actor: AnyActorRef): Watch {
  type Seen = { value: unknown; context: { transcript: Turn[]; reading: { lead: Lead } } };
  const first = actor.getSnapshot() as Seen;
  const watch: Watch = {
    states: [stateKey(first.value as never)],
    fieldsChanges: 0,
    fieldsStates: [],
    lineStates: new Map(),
    transcript: first.context.transcript,
    fields: first.context.reading.lead,
  };
  actor.subscribe({
    next: (snapshot: Seen) => {
      const key = stateKey(snapshot.value as never);
      if (key !== watch.states[watch.states.length - 1]) watch.states.push(key);
      if (snapshot.context.reading.lead !== watch.fields) {
        watch.fieldsChanges++;
        watch.fieldsStates.push(key);
      }
      for (const turn of snapshot.context.transcript) {
        if (turn.role === 'user' && !watch.lineStates.has(turn.text)) watch.lineStates.set(turn.text, key);
      }
      watch.fields = snapshot.context.reading.lead;
      watch.transcript = snapshot.context.transcript;
    },
    error: () => undefined,
  });
  return watch;
}

const dedupe = (states: string[]) => states.filter((s, i) => s !== states[i - 1]);

/**
 * Replays one path as one call through its own lab (real uWS server, fake OpenAI behind a gate, fake NPA) on the
 * shared test database, performing each step's stimulus once the machine is in the step's state.
 */
export async function replayThroughServer(
  path: CallPath,
  plan: ServerPlan,
  deps: { database: TestDatabase; refusals: LeadRefusals; npaRouter: NpaRouter; callSid: string },
): Promise<ServerReplayResult> {
  const { database, refusals, npaRouter, callSid } = deps;
  let lab: VoiceLab | undefined;
  let caller: FakeTwilioCaller | undefined;
  let gate: RealtimeGate | undefined;
  // The lab's own DATA_DIR (its spool); under a plain file when the path needs a spool that cannot be written.
  const dataRoot = await mkdtemp(join(tmpdir(), 'psb-path-'));
  let dataDir = join(dataRoot, 'data');
  if (plan.spool === 'unwritable') {
    await writeFile(join(dataRoot, 'not-a-directory'), '');
    dataDir = join(dataRoot, 'not-a-directory', 'data');
  }
  try {
    gate = await startRealtimeGate(() => lab?.openai.port ?? 0, 'hold');
    lab = await startVoiceLab({
      env: { ...database.env, ...plan.env, DATA_DIR: dataDir, OPENAI_REALTIME_URL: gate.url, NPA_API_URL: npaRouter.url },
      logger: database.logger,
      overrides: { db: database.db, reliability: plan.reliability },
    });
    // Every lab's worker may claim this call's outbox row: the router sends it to this path's fake NPA whoever does.
    npaRouter.register(callSid, lab.npa.url);
    const theLab = lab;
    const theGate = gate;
    theLab.openai.enqueueScript(plan.script);
    theLab.openai.setChatResponder(() =>
      plan.llmLead === 'complete' ? COMPLETE_LLM_LEAD : plan.llmLead === 'disputed' ? { ...COMPLETE_LLM_LEAD, phone: DISPUTED_LLM_PHONE } : INCOMPLETE_LLM_LEAD,
    );
    theLab.openai.chatMode(plan.chatMode);
    theLab.npa.setMode(plan.npaMode, plan.npaSlowMs === undefined ? {} : { slowMs: plan.npaSlowMs });
    if (plan.npaFailNext) theLab.npa.failNext(plan.npaFailNext.count, plan.npaFailNext.status);
    for (const { table, count, delayMs, thenFail } of plan.refusals) await refusals.refuse(callSid, table, count, delayMs, thenFail);

    const hook = await theLab.webhook(callSid, CALLER_PHONE);
    if (hook.status !== 200) throw new Error(`webhook answered ${hook.status}`);
    const call = theLab.app.registry.get(callSid);
    if (!call) throw new Error('the webhook opened no call');
    const watch = watchActor(call.actor as unknown as AnyActorRef);
    const outcome = theLab.outcomeOf(callSid);

    // The model connection and its script cues, once the gate lets it through.
    let connection: FakeRealtimeConnection | undefined;
    const reached = new Set<number>();
    const connect = async () => {
      connection = await theLab.openai.waitForConnection(0, STEP_WAIT_MS);
      connection.cues.on('step', (index: number) => reached.add(index));
    };
    let connected: Promise<void> | undefined;

    let linesSaid = 0;
    const sayLine = async (scriptIndex: number) => {
      await connected;
      await until(() => reached.has(scriptIndex), `script step ${scriptIndex} (caller line)`);
      if (!caller) throw new Error('no caller to speak');
      caller.sendFrames(3, 'speech');
      linesSaid++;
    };

    const expected = dedupe(['connecting', ...path.steps.map((s) => s.expectedState)]);
    let position = 0;

    const perform = async (step: StepPlan) => {
      for (const index of step.pendingBefore) {
        const line = plan.script[index];
        const text = line !== undefined && 'caller' in line ? line.caller : undefined;
        await sayLine(index);
        // The line is taken once the fake moves on; the relay then knows the caller's item (pending or transcribed).
        await until(() => reached.has(index + 1), `script step ${index + 1}`);
        await until(
          () => call.relay.counters.callerTurns >= linesSaid || watch.transcript.some((t) => t.role === 'user' && t.text === text),
          `the relay to register caller line ${index}`,
        );
      }
      const s = step.stimulus;
      switch (s.kind) {
        case 'connect-caller':
          caller = await FakeTwilioCaller.connect({
            url: `ws://127.0.0.1:${theLab.app.port}${ROUTES.stream}`,
            callSid,
            from: CALLER_PHONE,
            realTime: false,
            autoStart: false,
          });
          // Marks come back only when the test says the goodbye has played.
          caller.holdMarks();
          caller.sendStart();
          await until(() => (call.actor.getSnapshot().context.streamStarted as boolean) || watch.states.length > position + 1, 'stream started');
          return;
        case 'gate-release':
          await theGate.waitForArrivals(1);
          theGate.release();
          connected = connect();
          await connected;
          return;
        case 'gate-refuse':
          await theGate.waitForArrivals(1);
          theGate.refuse();
          return;
        case 'gate-open-then-drop':
          await theGate.waitForArrivals(1);
          theGate.openThenDrop();
          return;
        case 'drop-model':
          await connected;
          if (!connection) throw new Error('no model connection to drop');
          connection.close(1011, 'fake dropped the session');
          return;
        case 'hang-up':
          if (!caller) throw new Error('no caller to hang up');
          if (s.how === 'stop') await caller.hangUp();
          else caller.terminate();
          return;
        case 'ignored-hang-up':
          // The server already closed the media socket: a hang-up now is a no-op at the socket.
          if (caller) await caller.hangUp();
          return;
        case 'late-transcript': {
          // The transcription lands while the call waits for it; the machine may move on right after.
          await until(() => watch.states.at(-1) === step.fromState, `the call in ${step.fromState} (states ${watch.states.join(' > ')})`);
          if (!connection) throw new Error('no model connection to release the held transcription');
          if (connection.releaseHeldTranscripts() !== 1) throw new Error('expected one held caller transcription');
          if (s.observe === 'transcript') {
            await until(() => watch.lineStates.has(s.text), 'the late caller line in the transcript');
            if (watch.lineStates.get(s.text) !== step.fromState) {
              throw new Error(`late transcription arrived in ${watch.lineStates.get(s.text)}, not ${step.fromState}`);
            }
          } else {
            await until(() => watch.fieldsStates.includes(step.fromState) && watch.fields?.zip_code === '30301', `live fields in ${step.fromState}`);
          }
          return;
        }
        case 'caller-says': {
          const fieldsBefore = watch.fieldsChanges;
          await sayLine(s.scriptIndex);
          if (s.observe === 'transcript') {
            await until(() => watch.transcript.some((t) => t.role === 'user' && t.text === s.text), 'the caller line in the transcript');
          } else if (s.observe === 'fields') {
            await until(() => watch.fieldsChanges > fieldsBefore && watch.fields?.zip_code === '30301', 'the live fields');
          }
          return;
        }
        case 'record-field': {
          await sayLine(s.scriptIndex);
          await until(() => call.actor.getSnapshot().context.captured[s.field] !== undefined, `${s.field} captured live`);
          if (watch.states.at(-1) !== step.fromState) throw new Error(`${s.field} captured in ${watch.states.at(-1)}, not ${step.fromState}`);
          return;
        }
        case 'release-marks':
          if (!caller) throw new Error('no caller to play the goodbye');
          caller.releaseMarks();
          return;
        case 'wait':
          return;
      }
    };

    for (const [i, step] of plan.steps.entries()) {
      const where = `step ${i + 1} ${step.fromState} -[${step.label}]->`;
      const current = watch.states[watch.states.length - 1];
      const passive = ['wait', 'ignored-hang-up', 'late-transcript'].includes(step.stimulus.kind);
      if (!passive && current !== step.fromState) {
        throw new Error(`${where}: the call is in ${current}, not ${step.fromState} (states ${watch.states.join(' > ')})`);
      }
      await perform(step);
      if (step.expectedState !== step.fromState) {
        position++;
        await until(() => watch.states.length > position, `${where} ${step.expectedState} (states ${watch.states.join(' > ')})`);
        const seen = watch.states.slice(0, position + 1).join(' > ');
        const want = expected.slice(0, position + 1).join(' > ');
        if (seen !== want) throw new Error(`${where}: went ${seen}, expected ${want}`);
      }
    }

    const output = await Promise.race([
      outcome,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no outcome')), STEP_WAIT_MS)),
    ]);

    const after = await fetch(`${theLab.app.url}/twilio/voice/after-stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ CallSid: callSid, CallStatus: 'in-progress' }),
    });
    const afterStreamTwiml = await after.text();

    // Session writes are queued behind the machine: wait for the final phase to land.
    let session: ServerReplayResult['session'] = null;
    let sessionId: string | null = null;
    const readSession = async () => {
      const row = await theLab.app.repos.sessions.getByKey(callSid);
      sessionId = row?.id ?? null;
      const state = (row?.state ?? {}) as Record<string, unknown>;
      session = row
        ? { phase: state.phase, outcome: state.outcome, endReason: state.endReason, lostReason: state.lostReason, spooled: state.spooled }
        : null;
    };
    // A held lead insert (a path's slow database) holds the session row with it for up to SLOW_WRITE_MS.
    const deadline = performance.now() + 5_000;
    do {
      await readSession();
      if ((session as ServerReplayResult['session'])?.phase === path.final) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } while (performance.now() < deadline);

    const atEnd = session as ServerReplayResult['session'];

    const sql = database.db.em().getConnection();
    const count = async (query: string, params: unknown[]) =>
      Number(((await sql.execute(query, params)) as Array<{ n: string | number }>)[0]?.n ?? 0);
    const rowsOfLead = async () =>
      (await count('select count(*) as n from succeeded_leads where id = ?', [output.leadId])) +
      (await count('select count(*) as n from failed_leads where id = ?', [output.leadId]));
    const reviewOf = async () =>
      ((await sql.execute('select review from lead_decisions where id = ?', [output.leadId])) as Array<{ review: string }>)[0]?.review ?? null;
    const outboxStatusOf = async () =>
      ((await sql.execute('select status from lead_outbox where id = ?', [output.leadId])) as Array<{ status: string }>)[0]?.status ?? null;

    // A saved lead ends with one row, eventually: the call's own, or a worker's after the call (a pending lead).
    // Wait until the row is there, the outbox holds nothing more to send and the session records the outcome.
    let finalOutcome: unknown = atEnd?.outcome;
    if (plan.finalRow !== 'none') {
      const finalDeadline = performance.now() + FINAL_ROW_WAIT_MS;
      for (;;) {
        // A spooled lead reaches the database with the lab's upkeep (its spool replay), as after an outage.
        if (plan.spooled) await theLab.app.maintain();
        await readSession();
        finalOutcome = (session as ServerReplayResult['session'])?.outcome;
        const settled =
          plan.finalRow === 'review'
            ? (await reviewOf()) === 'held' && finalOutcome === 'review'
            : (await rowsOfLead()) > 0 && (await outboxStatusOf()) !== 'pending' && finalOutcome !== 'pending';
        if (settled) break;
        if (performance.now() > finalDeadline) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    const succeededRows = await count('select count(*) as n from succeeded_leads where session_id = ?', [sessionId]);
    const failedRows = await count('select count(*) as n from failed_leads where session_id = ?', [sessionId]);
    const rowsForLeadId = await rowsOfLead();
    const outboxStatus = await outboxStatusOf();
    const keyed = theLab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId);

    return {
      output,
      states: watch.states,
      expectedStates: expected,
      session: atEnd,
      finalOutcome,
      succeededRows,
      failedRows,
      rowsForLeadId,
      outboxStatus,
      review: await reviewOf(),
      npaRequests: keyed.length,
      npaAccepted: keyed.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300).length,
      npaHolds: theLab.npa.accepted.has(output.leadId),
      afterStreamTwiml,
      apologised: /<Say\b/.test(afterStreamTwiml),
    };
  } finally {
    caller?.terminate();
    await lab?.close().catch(() => undefined);
    await gate?.close().catch(() => undefined);
    await rm(dataRoot, { recursive: true, force: true });
  }
}
