import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from '../../bench/report.js';
import { runBench, type RunResult } from '../../bench/runBench.js';
import { transportKind } from '../../src/http/uws.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

// Keeps the benchmark working: a handful of calls through the real server (on both transports) and the baseline, not timed.
describe('relay load benchmark', () => {
  let db: TestDatabase;
  let results: RunResult[];

  beforeAll(async () => {
    db = await createTestDatabase();
    results = await runBench({
      steps: [4],
      relays: ['real', 'real-node', 'baseline'],
      warmupMs: 600,
      windowMs: 1000,
      maxP99Ms: Number.POSITIVE_INFINITY,
      pin: false,
      env: { BENCH_DATABASE_URL: db.url },
    });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  it('measures every relay at the same load, both directions, and says what transport served', () => {
    expect(results.map((r) => [r.relay, r.calls, r.transport])).toEqual([
      ['real', 4, transportKind],
      ['real-node', 4, 'node-http'],
      ['baseline', 4, 'none'],
    ]);
    for (const r of results) {
      // 4 calls x 50 frames a second x 1 s, each way: allow for the window's edges.
      expect(r.callerToModel.received).toBeGreaterThan(100);
      expect(r.modelToCaller.received).toBeGreaterThan(100);
      expect(r.callerToModel.p50Ms).toBeGreaterThan(0);
      expect(r.modelToCaller.p99Ms).toBeGreaterThanOrEqual(r.modelToCaller.p50Ms);
      expect(r.serverCorePct).toBeGreaterThan(0);
      expect(Number.isFinite(r.memPerCallKB)).toBe(true);
    }
  });

  it('the real relay loses no frame, none at call start, and keeps their order, on either transport', () => {
    for (const real of results.slice(0, 2)) {
      expect(real.database, real.relay).toBe('postgresql');
      expect(real.callerToModel.lost + real.modelToCaller.lost, real.relay).toBe(0);
      expect(real.callerToModel.gaps + real.modelToCaller.gaps, real.relay).toBe(0);
      expect(real.callerToModel.reordered + real.modelToCaller.reordered, real.relay).toBe(0);
      expect(real.startDropped, real.relay).toBe(0);
    }
  });

  it('times the greeting for both relays: the real one holds it ready for the stream, the baseline asks on connect', () => {
    const [real, , baseline] = results as [RunResult, RunResult, RunResult];
    expect(real.timeToGreeting.calls).toBe(4);
    expect(baseline.timeToGreeting.calls).toBe(4);
    // The fake model takes 400 ms to its first audio: only a greeting asked for before the stream beats it.
    expect(baseline.timeToGreeting.p50Ms).toBeGreaterThanOrEqual(400);
    expect(real.timeToGreeting.p99Ms).toBeLessThan(baseline.timeToGreeting.p50Ms);
  });

  it('prints a table with the ratios', () => {
    const report = formatReport(results);
    expect(report).toContain('CPU/call %core');
    expect(report).toContain('greeting p50/p99 ms');
    expect(report).toMatch(/4 calls: baseline\/real CPU per call [\d.]+x/);
    // The transports compare where native uWS serves `real` (Node 20 without PSB_TRANSPORT=node).
    if (transportKind === 'uws-native') expect(report).toMatch(/4 calls: node-http\/uws-native CPU per call [\d.]+x/);
  });
});
