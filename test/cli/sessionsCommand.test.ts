import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '../../src/db/repositories.js';
import type { CallQuality } from '../../src/calls/callQuality.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { runLeads } from '../support/runLeads.js';

let t: TestDatabase;

const QUALITY: CallQuality = {
  durationMs: 42_000,
  turns: { agent: 7, caller: 6 },
  bargeIns: 1,
  deadAir: { count: 1, longestMs: 3400, thresholdMs: 3000 },
  waits: { greetingMs: 310, responseMs: [700, 650.5], responseRelayMs: [0.2, 0.1], bargeInMs: [0.1], bargeInHeardMs: [240], goodbyeMs: 1200, leadDeliveryMs: 40 },
  fields: {
    full_name: { attempts: 1, attemptsFrom: 'capture', readBackCorrected: false, agreement: 'agreed' },
    zip_code: { attempts: 2, attemptsFrom: 'asked', readBackCorrected: true, agreement: 'disputed' },
  },
  endReason: 'goodbye',
  outcome: 'review',
};

beforeAll(async () => {
  t = await createTestDatabase();
  const repos = createRepositories(t.db);
  await repos.sessions.open({
    channel: 'voice',
    sessionKey: 'CAsessionsshow000000000000000000001',
    state: { phase: 'saved-review', callerPhone: '+14045550111', transcript: [{ role: 'user', text: 'John Carter' }], outcome: 'review', endReason: 'goodbye', quality: QUALITY },
  });
  await repos.sessions.open({ channel: 'voice', sessionKey: 'CAsessionsshow000000000000000000002', state: { phase: 'streaming' } });
});
afterAll(async () => {
  await t?.close();
});

describe('leads sessions show', { timeout: 60_000 }, () => {
  it('--json: the phase, outcome and quality record, never the transcript or the caller', async () => {
    const run = await runLeads(['sessions', 'show', 'CAsessionsshow000000000000000000001', '--json'], t.env);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ phase: 'saved-review', outcome: 'review', endReason: 'goodbye', quality: QUALITY });
    expect(run.stdout).not.toContain('John Carter');
    expect(run.stdout).not.toContain('4045550111');
  });

  it('as text: one line per measure and per field', async () => {
    const run = await runLeads(['sessions', 'show', 'CAsessionsshow000000000000000000001'], t.env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((line) => line.replace(/\s+/g, ' '));
    expect(lines).toEqual(
      expect.arrayContaining([
        'phase saved-review',
        'barge-ins 1',
        'dead air 1 over 3000 ms, longest 3400 ms',
        'responses 700, 650.5 ms',
        ' relay part 0.2, 0.1 ms',
        ' heard over 240 ms',
        'zip_code 2 attempt(s) (asked), read-back corrected, disputed',
        'full_name 1 attempt(s) (capture), agreed',
      ]),
    );
  });

  it('a call still running has no quality record yet', async () => {
    const run = await runLeads(['sessions', 'show', 'CAsessionsshow000000000000000000002', '--json'], t.env);
    expect(JSON.parse(run.stdout)).toMatchObject({ phase: 'streaming', quality: null });
  });

  it('usage errors exit 2', async () => {
    for (const args of [['sessions'], ['sessions', 'list'], ['sessions', 'show'], ['sessions', 'show', 'a', 'b']]) {
      const run = await runLeads(args, t.env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim()).toBe('leads: usage: leads sessions show CALLSID [--json]');
    }
  });
});
