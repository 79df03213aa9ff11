import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callLifecyclePaths, coverage, reachablePairs, type CallPath } from '../support/callMachinePaths.js';
import { LeadRefusals } from '../support/leadRefusals.js';
import { startNpaRouter, type NpaRouter } from '../support/npaRouter.js';
import { planForServer, type Classification } from '../support/pathStimuli.js';
import { replayThroughServer, type ServerReplayResult } from '../support/replayThroughServer.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * The call machine's generated lifecycle paths (the transition cover: every (state, event) pair the traversal can
 * take) replayed through the real server over real sockets: each path is one call with its own CallSid, its own lab
 * (uWS server, fake OpenAI behind a connection gate, fake NPA, so each path's failures and timeouts are its own) and
 * the shared PostgreSQL test database. Paths with a step the server cannot produce are listed with the reason; those
 * pairs are covered by the machine-level replay (test/machines/callMachine.paths.test.ts).
 *
 * Submission goes through the durable lead outbox, so a path's end condition is its lead's final row, eventually:
 * exactly one succeeded or failed row per saved lead (written by the call, or by an outbox worker after a call that
 * reported "submission pending"), none for a lost one, and NPA holding the lead (once, under its lead id) exactly
 * when the row is a succeeded one.
 */

const CONCURRENCY = 24;
const paths = callLifecyclePaths({ simple: false });
const classified = paths.map((path, index) => ({ path, index, plan: planForServer(path, index) }));
const replayable = classified.filter((c): c is { path: CallPath; index: number; plan: Extract<Classification, { replayable: true }> } => c.plan.replayable);
const machineOnly = classified.filter((c) => !c.plan.replayable);

const results = new Map<number, ServerReplayResult | Error>();
let database: TestDatabase;
let npaRouter: NpaRouter;

beforeAll(async () => {
  database = await createTestDatabase();
  npaRouter = await startNpaRouter();
  const refusals = await LeadRefusals.install(database.db);
  // Own pool rather than vitest's (maxConcurrency 5): the 8 s goodbye playback timeout would otherwise dominate.
  const queue = [...replayable];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const callSid = `CApath${String(next.index).padStart(4, '0')}${Math.random().toString(16).slice(2, 10)}`;
      try {
        results.set(next.index, await replayThroughServer(next.path, next.plan.plan, { database, refusals, npaRouter, callSid }));
      } catch (error) {
        results.set(next.index, error instanceof Error ? error : new Error(String(error)));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}, 150_000);

afterAll(async () => {
  await npaRouter?.close();
  await database?.close();
});

describe('call lifecycle paths through the real server: coverage', () => {
  it('replays over a hundred paths of the transition cover through the server', () => {
    expect(replayable.length).toBeGreaterThan(100);
  });

  it('covers every (state, event) pair through the server, except the ones listed as unreachable with a reason', () => {
    const throughServer = coverage(replayable.map((c) => c.path));
    const unreachable = new Set(machineOnly.map((c) => (c.plan.replayable ? '' : c.plan.pair)));
    const missing = [...reachablePairs()].filter((pair) => !throughServer.has(pair));
    // Every pair the server never replays is one a path was set aside for, with its reason.
    expect(missing.filter((pair) => !unreachable.has(pair))).toEqual([]);
    expect(missing.sort()).toEqual(
      [
        'extracting|error:extractLead',
        'extracting|after:EXTRACTION_TIMEOUT',
        'awaiting-transcript|error:awaitTranscript',
        'streaming.conversing|error:conversation',
        'streaming.closing|error:conversation',
        'submitting.delivering|error:deliverLead',
        'submitting.spooling|after:SUBMISSION_TIMEOUT',
        // Needs a second instance to claim the stream: test/scale/twoInstances.test.ts.
        'connecting|HANDED_OFF',
      ].sort(),
    );
  });

  it('ends submissions through the server every way the intake can: sent, refused, finally failed, pending then finished, spooled then replayed, never saved', () => {
    const plans = replayable.map((c) => c.plan.plan);
    expect(plans.some((p) => p.finalRow === 'succeeded' && !p.pending)).toBe(true);
    expect(plans.some((p) => p.finalRow === 'failed' && p.llmLead === 'incomplete')).toBe(true);
    expect(plans.some((p) => p.finalRow === 'failed' && p.npaMode === 'fail-500')).toBe(true);
    // Pending after the submission deadline while delivering. (Pending after a retryable NPA failure: the one
    // delivering path whose NPA refuses is a final 500 here; test/faults/npaFaults.test.ts has the 503s.)
    expect(plans.some((p) => p.pending && p.npaMode === 'slow')).toBe(true);
    // Spooled: the database refused the lead, or held it past DB_WRITE_TIMEOUT; complete and refused leads both.
    expect(plans.some((p) => p.spooled && p.refusals.some((r) => r.table === 'lead_outbox' && r.delayMs === undefined))).toBe(true);
    expect(plans.some((p) => p.spooled && p.refusals.some((r) => r.thenFail === true))).toBe(true);
    expect(plans.some((p) => p.spooled && p.finalRow === 'failed')).toBe(true);
    expect(plans.some((p) => p.finalRow === 'none')).toBe(true);
    expect(plans.some((p) => p.finalRow === 'review' && p.llmLead === 'disputed')).toBe(true);
  });

  it('sent every NPA request to the fake of the call it belongs to', () => {
    expect(npaRouter.strays).toEqual([]);
  });

  it('has a hang-up through the server from every live state, and from every later state as a no-op', () => {
    const throughServer = coverage(replayable.map((c) => c.path));
    for (const state of ['connecting', 'streaming.conversing', 'streaming.closing', 'awaiting-transcript', 'extracting', 'submitting.accepting', 'submitting.delivering', 'submitting.spooling']) {
      expect(throughServer.has(`${state}|CALLER_HUNG_UP`), state).toBe(true);
    }
  });
});

describe('call lifecycle paths through the real server: set aside (machine-level replay only)', () => {
  it.each(machineOnly.map((c) => [c.path.description, c.plan] as const))('%s', (_, plan) => {
    expect(plan.replayable).toBe(false);
    if (!plan.replayable) expect(plan.reason.length).toBeGreaterThan(20);
  });
});

describe('call lifecycle paths through the real server', () => {
  it.each(replayable.map((c) => [c.path.description, c] as const))('%s', (_, { path, index, plan }) => {
    const result = results.get(index);
    if (result instanceof Error) throw result;
    if (!result) throw new Error('not replayed');
    expect(result.states).toEqual(result.expectedStates);
    expect(result.output.outcome).toBe(path.expectedOutcome);
    expect(result.output.endReason).toBe(path.expectedEndReason);
    expect(result.session).toMatchObject({ phase: path.final, endReason: path.expectedEndReason });
    if (path.expectedOutcome === 'lost') {
      expect(plan.plan.finalRow).toBe('none');
      expect(result.session?.lostReason).toEqual(expect.any(String));
      expect(result.succeededRows + result.failedRows).toBe(0);
      expect(result.rowsForLeadId).toBe(0);
      expect(result.outboxStatus).toBeNull();
      expect(result.npaRequests).toBe(0);
    } else {
      if (plan.plan.pending) {
        // The call ends before its lead does: saved-failure, "submission pending", the session's outcome pending.
        expect(path.final).toBe('saved-failure');
        expect(result.output.reason).toMatch(/^submission pending: /);
        if (plan.plan.spooled) {
          // Kept in the spool: the session says so; its outcome is written when the replay accepts the lead.
          expect(result.output.reason).toMatch(/lead kept in the local spool$/);
          expect(result.session?.spooled).toBe(true);
        } else {
          expect(result.session?.outcome).toBe('pending');
        }
      } else {
        expect(result.output.reason ?? '').not.toMatch(/submission pending/);
        expect(result.session?.outcome).toBe(path.expectedOutcome);
      }
      // Eventually: exactly one final row for the lead, nothing left to send, the session records it.
      const row = plan.plan.finalRow;
      if (row === 'review') {
        // Held for a person: no lead row, nothing in the outbox, never sent; the decision and the session say why.
        expect(result.review).toBe('held');
        expect(result.output.reason).toBe('held for review: the witnesses disagree on phone');
        expect(result.succeededRows + result.failedRows + result.rowsForLeadId).toBe(0);
        expect(result.outboxStatus).toBeNull();
        expect(result.finalOutcome).toBe('review');
        expect(result.npaRequests).toBe(0);
      } else {
        expect({ succeeded: result.succeededRows, failed: result.failedRows }).toEqual(
          row === 'succeeded' ? { succeeded: 1, failed: 0 } : { succeeded: 0, failed: 1 },
        );
        expect(result.rowsForLeadId).toBe(1);
        expect(result.outboxStatus === null || result.outboxStatus === row, `outbox ${result.outboxStatus}`).toBe(true);
        expect(result.finalOutcome).toBe(row);
      }
    }
    // NPA holds the lead exactly when it is a succeeded lead, and accepted its key at most once.
    expect(result.npaHolds).toBe(plan.plan.finalRow === 'succeeded');
    expect(result.npaAccepted).toBe(plan.plan.finalRow === 'succeeded' ? 1 : 0);
    // The caller hears the apology exactly when the model failed while the call was live.
    expect(result.apologised, `after-stream TwiML ${result.afterStreamTwiml}`).toBe(plan.plan.apology);
  });
});
