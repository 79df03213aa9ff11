import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CallSession } from '../../src/calls/callSession.js';
import { SessionRepository } from '../../src/db/sessionRepository.js';
import type { Turn } from '../../src/leads/lead.js';
import { createLogger } from '../../src/log.js';
import { capturingLogger } from '../support/logLines.js';
import { SessionWrites } from '../support/sessionWrites.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * CallSession against the real conversation_sessions table. The database logs every write it receives and can hold
 * one (test/support/sessionWrites.ts), so the order, batching and timing of the session's writes are seen where they
 * land rather than inferred from the final row.
 */

/** A heartbeat that never fires within a test, for the tests that are not about it. */
const NO_HEARTBEAT_MS = 3_600_000;
const HEARTBEAT_MS = 25;

let database: TestDatabase;
let sessions: SessionRepository;
let writes: SessionWrites;

beforeAll(async () => {
  database = await createTestDatabase();
  sessions = new SessionRepository(database.db);
  writes = await SessionWrites.install(database.db);
});
afterAll(async () => {
  await database?.close();
});

const newCallSid = (): string => `CA${randomUUID().replaceAll('-', '')}`;
const turns = (n: number): Turn[] =>
  Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'assistant' : 'user', text: `turn ${i + 1}` }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function session(callSid: string, options: { heartbeatMs?: number; logger?: ReturnType<typeof createLogger> } = {}) {
  return new CallSession(sessions, callSid, options.logger ?? createLogger('silent'), {
    heartbeatMs: options.heartbeatMs ?? NO_HEARTBEAT_MS,
    instanceId: 'test-instance',
  });
}

describe('CallSession: writes', () => {
  it('creates the row keyed by the CallSid with the first phase, then patches that one row', async () => {
    const callSid = newCallSid();
    const s = session(callSid);
    s.persist('connecting', { callSid, leadId: 'lead-1', callerPhone: null });
    s.persist('streaming', { callSid, leadId: 'lead-1', callerPhone: null, endReason: null });
    await s.idle();
    s.stop();

    const landed = await writes.of(callSid);
    expect(landed.map((w) => [w.op, w.state['phase']])).toEqual([
      ['INSERT', 'connecting'],
      ['UPDATE', 'streaming'],
    ]);
    const row = await sessions.getByKey(callSid);
    expect(row).toMatchObject({ channel: 'voice', sessionKey: callSid, state: { phase: 'streaming', callSid, leadId: 'lead-1', endReason: null } });
    // Each phase keeps when it was entered.
    const timings = (row?.state as { timings: Record<string, string> }).timings;
    expect(Object.keys(timings).sort()).toEqual(['connecting', 'streaming']);
    expect(Number.isNaN(Date.parse(timings['connecting'] ?? ''))).toBe(false);
  });

  it('runs later writes only once the first one has created the row', async () => {
    const callSid = newCallSid();
    const { logger, lines } = capturingLogger('error');
    const held = await writes.hold(callSid, 'connecting');
    const s = session(callSid, { logger });
    s.persist('connecting', { callSid });
    s.persist('streaming', { callSid });
    s.persistTranscript(turns(2));
    await vi.waitFor(async () => expect(await writes.writeIsHeld()).toBe(true));
    await held.release();
    await s.idle();
    s.stop();

    expect(lines).toEqual([]);
    const landed = await writes.of(callSid);
    expect(landed.map((w) => w.op)).toEqual(['INSERT', 'UPDATE', 'UPDATE']);
    expect((await sessions.getByKey(callSid))?.state).toMatchObject({ phase: 'streaming', transcript: turns(2) });
  });

  it('lands writes in the order they were asked for', async () => {
    const callSid = newCallSid();
    const s = session(callSid);
    const phases = Array.from({ length: 40 }, (_, i) => `phase-${i}`);
    for (const phase of phases) s.persist(phase, { callSid });
    await s.idle();
    s.stop();

    expect((await writes.of(callSid)).map((w) => w.state['phase'])).toEqual(phases);
    expect((await sessions.getByKey(callSid))?.state).toMatchObject({ phase: 'phase-39' });
  });
});

describe('CallSession: transcript writes', () => {
  it('coalesces: while a transcript write is queued, later turns ride with it', async () => {
    const callSid = newCallSid();
    const held = await writes.hold(callSid, 'connecting');
    const s = session(callSid);
    s.persist('connecting', { callSid });
    s.persistTranscript(turns(1));
    s.persistTranscript(turns(2));
    s.persistTranscript(turns(3));
    await held.release();
    await s.idle();

    expect((await writes.of(callSid)).map((w) => [w.op, (w.state['transcript'] as Turn[] | undefined)?.length])).toEqual([
      ['INSERT', undefined],
      ['UPDATE', 3],
    ]);

    // Nothing queued any more: the next turn is written on its own.
    s.persistTranscript(turns(4));
    await s.idle();
    s.stop();
    const landed = await writes.of(callSid);
    expect(landed).toHaveLength(3);
    expect(landed[2]?.state['transcript']).toEqual(turns(4));
  });

  it('does not let a transcript write under way swallow the turns that arrive during it', async () => {
    const callSid = newCallSid();
    const s = session(callSid);
    s.persist('streaming', { callSid });
    await s.idle();

    const held = await writes.hold(callSid);
    s.persistTranscript(turns(1));
    // That write has taken its transcript and is in the database; a turn arriving now needs a write of its own.
    await vi.waitFor(async () => expect(await writes.writeIsHeld()).toBe(true));
    s.persistTranscript(turns(2));
    await held.release();
    await s.idle();
    s.stop();

    const transcripts = (await writes.of(callSid)).slice(1).map((w) => w.state['transcript']);
    expect(transcripts).toEqual([turns(1), turns(2)]);
    expect((await sessions.getByKey(callSid))?.state).toMatchObject({ transcript: turns(2) });
  });

  it('drops a transcript write still queued when the call stops', async () => {
    const callSid = newCallSid();
    const held = await writes.hold(callSid, 'saved-success');
    const s = session(callSid);
    s.persist('saved-success', { callSid, transcript: turns(2) });
    s.persistTranscript(turns(3));
    s.stop();
    await held.release();
    await s.idle();

    expect((await writes.of(callSid)).map((w) => w.op)).toEqual(['INSERT']);
    expect((await sessions.getByKey(callSid))?.state).toMatchObject({ phase: 'saved-success', transcript: turns(2) });
  });
});

describe('CallSession: after stop()', () => {
  // Known bug (latent): stop() promises "no more heartbeats or transcript writes", but only drops a transcript
  // write already queued; one asked for after stop() is still written. Call never asks (it checks that its actor
  // is active first), so nothing reaches it today. Marked `fails` until CallSession keeps its word; then drop it.
  it('writes no transcript asked for after stop()', async () => {
    const callSid = newCallSid();
    const s = session(callSid);
    s.persist('saved-success', { callSid, transcript: turns(2) });
    await s.idle();
    s.stop();
    s.persistTranscript(turns(3));
    await s.idle();
    expect((await sessions.getByKey(callSid))?.state).toMatchObject({ transcript: turns(2) });
  });
});

describe('CallSession: heartbeat', () => {
  it('writes nothing before the first write: a heartbeat does not create the row', async () => {
    const callSid = newCallSid();
    const s = session(callSid, { heartbeatMs: HEARTBEAT_MS });
    await sleep(HEARTBEAT_MS * 8);
    await s.idle();
    s.stop();
    expect(await sessions.getByKey(callSid)).toBeNull();
    expect(await writes.of(callSid)).toEqual([]);
  });

  it('touches the row (updated_at, state unchanged) while the call lives, and stop() ends it', async () => {
    const callSid = newCallSid();
    const s = session(callSid, { heartbeatMs: HEARTBEAT_MS });
    s.persist('streaming', { callSid });
    await vi.waitFor(async () => expect((await writes.of(callSid)).length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });

    const [created, ...beats] = await writes.of(callSid);
    for (const beat of beats) expect(beat.state).toEqual(created?.state);
    const times = [created, ...beats].map((w) => w?.updatedAt.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)).toBeGreaterThan(times[0] ?? Infinity);

    s.stop();
    await s.idle();
    const atStop = (await writes.of(callSid)).length;
    await sleep(HEARTBEAT_MS * 10);
    await s.idle();
    expect(await writes.of(callSid)).toHaveLength(atStop);
  });
});

describe('CallSession: failures', () => {
  it('logs a failed write without the values it carried, and goes on with the next ones', async () => {
    const callSid = newCallSid();
    const { logger, lines, raw } = capturingLogger('error');
    const s = session(callSid, { logger });
    // PostgreSQL's jsonb refuses \u0000: a real write failure of the first write (the row's creation).
    s.persist('connecting', { callSid, callerPhone: '+14045550199\u0000' });
    s.persist('streaming', { callSid, callerPhone: '+14045550199' });
    s.persistTranscript([{ role: 'user', text: 'my number is 404 555 0199\u0000' }]);
    s.persist('awaiting-transcript', { callSid });
    await expect(s.idle()).resolves.toBeUndefined();
    s.stop();

    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'session write failed'],
      [50, 'session write failed'],
    ]);
    for (const line of lines) expect(line['err']).toMatch(/^database error: \w+ \(SQLSTATE 22P05\)$/);
    expect(raw.join('')).not.toContain('0199');
    // The creation failed, so the next write created the row; the failed transcript write did not stop the queue.
    expect((await writes.of(callSid)).map((w) => w.state['phase'])).toEqual(['streaming', 'awaiting-transcript']);
  });
});

describe('CallSession: live capture writes', () => {
  const at = '2025-06-01T12:00:00.000Z';
  it('writes the captured fields in order with the other writes, coalescing while one is queued, and not after stop', async () => {
    const callSid = newCallSid();
    const held = await writes.hold(callSid, 'streaming');
    const s = session(callSid);
    s.persist('streaming', { callSid });
    s.persistCaptured({ full_name: { value: 'John Carter', at, attempts: 1 } });
    s.persistCaptured({ full_name: { value: 'John Carter', at, attempts: 1 }, zip_code: { value: '30093', at, attempts: 2 } });
    await held.release();
    await s.idle();

    const landed = await writes.of(callSid);
    expect(landed.map((w) => [w.op, Object.keys((w.state['captured'] as object | undefined) ?? {}).sort()])).toEqual([
      ['INSERT', []],
      ['UPDATE', ['full_name', 'zip_code']],
    ]);
    expect((await sessions.getByKey(callSid))?.state).toMatchObject({
      phase: 'streaming',
      captured: { full_name: { value: 'John Carter', at, attempts: 1 }, zip_code: { value: '30093', at, attempts: 2 } },
    });

    s.stop();
    s.persistCaptured({});
    await s.idle();
    expect(await writes.of(callSid)).toHaveLength(2);
  });
});
