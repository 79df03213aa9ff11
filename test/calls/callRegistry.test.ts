import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Call } from '../../src/calls/call.js';
import { CallRegistry, ENDED_CALL_MEMORY_MS, type CallRegistryOptions } from '../../src/calls/callRegistry.js';
import type { CallOutput } from '../../machines/callTypes.js';
import { createExtractor, type Extractor } from '../../src/extraction/extractor.js';
import { CALM_TIMEOUTS, startCallLab, type CallLab } from '../support/callLab.js';
import { FakeTwilioSink } from '../support/relayFakes.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * CallRegistry over the real call stack (test/support/callLab.ts: PostgreSQL test database, LeadIntake, fake NPA;
 * in-memory fakes of the model connector and Twilio). Calls are ended by the caller hanging up or by the model
 * socket dropping, the two quickest ways a call saves its lead.
 */

let database: TestDatabase;
let lab: CallLab;
/** The extraction of every call waits here while a test holds it: calls stay live as long as the test needs. */
let extractionGate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  database = await createTestDatabase();
  const offline = createExtractor(database.config, { logger: database.logger, client: null });
  const gated: Extractor = {
    async extract(conversation, options) {
      await extractionGate;
      return offline.extract(conversation, options);
    },
  };
  lab = await startCallLab(database, { extractor: gated });
});
afterAll(async () => {
  await lab?.close();
  await database?.close();
});
afterEach(() => {
  vi.useRealTimers();
  extractionGate = Promise.resolve();
});

const newCallSid = (): string => `CA${randomUUID().replaceAll('-', '')}`;
const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 10_000, interval: 5 });

/** Holds every call's extraction until the returned function is called. */
function holdExtraction(): () => void {
  let release!: () => void;
  extractionGate = new Promise<void>((resolve) => (release = resolve));
  return release;
}

function registry(options: Partial<CallRegistryOptions> = {}) {
  const done: Array<{ call: Call; output: CallOutput }> = [];
  const reg = new CallRegistry({
    deps: lab.deps,
    maxCalls: 10,
    timeouts: CALM_TIMEOUTS,
    onCallDone: (call, output) => done.push({ call, output }),
    ...options,
  });
  return { reg, done };
}

/** Twilio's stream for the call starts, and the call reaches its conversation. */
async function stream(call: Call): Promise<FakeTwilioSink> {
  const sink = new FakeTwilioSink();
  call.attachStream(sink, `MZ${randomUUID().replaceAll('-', '')}`);
  await eventually(() => expect(call.stateName()).toBe('streaming.conversing'));
  return sink;
}

/** Whether `promise` has settled once pending callbacks and I/O have had a few turns. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('CallRegistry.open', () => {
  it('returns the live call for a retried webhook: one call, one model connection, one lead', async () => {
    const { reg, done } = registry();
    const callSid = newCallSid();
    const connectsBefore = lab.connector.connections.length;
    const first = reg.open(callSid, '+14045550111');
    const retried = reg.open(callSid, '+14045550111');
    expect(first).not.toBeNull();
    expect(retried).toBe(first);
    expect(reg.get(callSid)).toBe(first);
    expect(reg.size).toBe(1);
    await eventually(() => expect(lab.connector.connections.length).toBe(connectsBefore + 1));

    first?.callerHungUp();
    await eventually(() => expect(done).toHaveLength(1));
    expect(reg.get(callSid)).toBeUndefined();
    expect(reg.size).toBe(0);
    expect(done[0]?.call).toBe(first);
    expect(done[0]?.output).toMatchObject({ outcome: 'failed', endReason: 'caller-hangup', leadId: done[0]?.output.leadId });
    const session = await lab.repos.sessions.getByKey(callSid);
    expect(await lab.repos.failed.get(done[0]?.output.leadId ?? '')).toMatchObject({ channel: 'voice', sessionId: session?.id });
    expect(lab.connector.connections.length).toBe(connectsBefore + 1);
  });

  it('gives every call its own lead id', async () => {
    const { reg, done } = registry();
    const a = reg.open(newCallSid(), null);
    const b = reg.open(newCallSid(), null);
    a?.callerHungUp();
    b?.callerHungUp();
    await eventually(() => expect(done).toHaveLength(2));
    expect(new Set(done.map((d) => d.output.leadId)).size).toBe(2);
  });

  it('refuses a call above maxCalls, still returns a live one, and takes calls again once one has ended', async () => {
    const { reg, done } = registry({ maxCalls: 2 });
    const [sidA, sidB, sidC] = [newCallSid(), newCallSid(), newCallSid()];
    const a = reg.open(sidA, null);
    const b = reg.open(sidB, null);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(reg.open(sidC, null)).toBeNull();
    expect(reg.get(sidC)).toBeUndefined();
    expect(reg.size).toBe(2);
    // A retried webhook of a live call is not a new call: it is answered even when the line is full.
    expect(reg.open(sidA, null)).toBe(a);

    a?.callerHungUp();
    await eventually(() => expect(done).toHaveLength(1));
    const c = reg.open(sidC, null);
    expect(c).not.toBeNull();
    expect(reg.size).toBe(2);
    b?.callerHungUp();
    c?.callerHungUp();
    await eventually(() => expect(done).toHaveLength(3));
  });
});

describe('CallRegistry.drain', () => {
  it('refuses new calls at once and resolves when every live call has saved its lead', async () => {
    const release = holdExtraction();
    const { reg, done } = registry();
    const [sidA, sidB] = [newCallSid(), newCallSid()];
    const a = reg.open(sidA, null) as Call;
    const b = reg.open(sidB, null) as Call;
    await Promise.all([stream(a), stream(b)]);
    a.callerHungUp();
    b.callerHungUp();
    await eventually(() => expect([a.stateName(), b.stateName()]).toEqual(['extracting', 'extracting']));

    const drained = reg.drain();
    expect(reg.open(newCallSid(), null)).toBeNull();
    expect(reg.open(sidA, null)).toBe(a); // still live: a retried webhook finds it
    expect(await settledSoon(drained)).toBe(false);

    release();
    await drained;
    expect(new Set(done.map((d) => d.call))).toEqual(new Set([a, b]));
    expect(reg.size).toBe(0);
    // Saved means written: both sessions are in their final phase by the time drain resolves.
    for (const sid of [sidA, sidB]) {
      expect((await lab.repos.sessions.getByKey(sid))?.state).toMatchObject({ phase: 'saved-failure' });
    }
  });

  it('resolves at once with no live calls', async () => {
    const { reg } = registry();
    await expect(reg.drain()).resolves.toBeUndefined();
    expect(reg.open(newCallSid(), null)).toBeNull();
  });
});

describe('CallRegistry: the apology after the stream closed', () => {
  it('answers for a live call whose model failed, then remembers it for ENDED_CALL_MEMORY_MS after the call ended', async () => {
    // Only setTimeout is faked, and it advances with real time: the calls and the database run as usual, and the
    // test can jump the memory's two minutes.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    const release = holdExtraction();
    const { reg, done } = registry();
    const [failedSid, hungUpSid] = [newCallSid(), newCallSid()];
    const before = lab.connector.connections.length;
    const failed = reg.open(failedSid, null) as Call;
    const hungUp = reg.open(hungUpSid, null) as Call;
    await Promise.all([stream(failed), stream(hungUp)]);
    lab.connector.connection(before).socket.drop('socket closed (1006)');
    hungUp.callerHungUp();

    // The stream closes when the model fails; Twilio asks while the call is still saving its lead.
    await eventually(() => expect(failed.stateName()).toBe('extracting'));
    expect(reg.get(failedSid)).toBe(failed);
    expect(reg.wantsApology(failedSid)).toBe(true);
    expect(reg.wantsApology(hungUpSid)).toBe(false);

    release();
    await eventually(() => expect(done).toHaveLength(2));
    expect(reg.get(failedSid)).toBeUndefined();
    expect(reg.wantsApology(failedSid)).toBe(true);
    expect(reg.wantsApology(hungUpSid)).toBe(false);
    expect(reg.wantsApology(newCallSid())).toBe(false);

    vi.advanceTimersByTime(ENDED_CALL_MEMORY_MS - 1_000);
    expect(reg.wantsApology(failedSid)).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(reg.wantsApology(failedSid)).toBe(false);
  });

  // Known bug (narrow): a CallSid opened again after its call ended (a late retried webhook, or a development stream
  // without a token) is remembered again when that second call ends, but the first ending's timer is not cleared:
  // it fires ENDED_CALL_MEMORY_MS after the first ending and forgets the second one early. Marked `fails` until
  // open() clears the timer it replaces; then drop the marker.
  it('remembers a CallSid that ended twice for ENDED_CALL_MEMORY_MS after its second end', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    const { reg, done } = registry();
    const callSid = newCallSid();
    for (const [n, wait] of [[1, ENDED_CALL_MEMORY_MS / 2], [2, 0]] as const) {
      const before = lab.connector.connections.length;
      const call = reg.open(callSid, null) as Call;
      await stream(call);
      lab.connector.connection(before).socket.drop();
      await eventually(() => expect(done).toHaveLength(n));
      vi.advanceTimersByTime(wait);
    }
    expect(reg.wantsApology(callSid)).toBe(true);
    // Past the first ending's two minutes, well within the second's.
    vi.advanceTimersByTime(ENDED_CALL_MEMORY_MS / 2 + 1_000);
    expect(reg.wantsApology(callSid)).toBe(true);
  });

  it('forgets the ended calls at clear()', async () => {
    const { reg, done } = registry();
    const callSid = newCallSid();
    const before = lab.connector.connections.length;
    const call = reg.open(callSid, null) as Call;
    await stream(call);
    lab.connector.connection(before).socket.drop();
    await eventually(() => expect(done).toHaveLength(1));
    expect(reg.wantsApology(callSid)).toBe(true);
    reg.clear();
    expect(reg.wantsApology(callSid)).toBe(false);
  });
});
