import type { RunResult } from './runBench.js';

/** The human table: one row per run, then the baseline/real ratios per load. */
export function formatReport(results: RunResult[]): string {
  const header = [
    'relay',
    'calls',
    'server core%',
    'CPU/call %core',
    'calls/core',
    'mem/call KB',
    'RSS/call KB',
    'caller->model p50/p99/max ms',
    'model->caller p50/p99/max ms',
    'lost',
    'start drops',
    'greeting p50/p99 ms',
    'gen core%',
    'gen slip p99 ms',
    'other core%',
    'note',
  ];
  const rows = results.map((r) => [
    r.relay,
    String(r.calls),
    r.serverCorePct.toFixed(1),
    r.cpuPerCallPct.toFixed(4),
    String(r.projectedCallsPerCore),
    r.memPerCallKB.toFixed(1),
    r.rssPerCallKB.toFixed(1),
    `${r.callerToModel.p50Ms.toFixed(2)}/${r.callerToModel.p99Ms.toFixed(2)}/${r.callerToModel.maxMs.toFixed(1)}`,
    `${r.modelToCaller.p50Ms.toFixed(2)}/${r.modelToCaller.p99Ms.toFixed(2)}/${r.modelToCaller.maxMs.toFixed(1)}`,
    String(r.callerToModel.lost + r.modelToCaller.lost),
    String(r.startDropped),
    `${r.timeToGreeting.p50Ms.toFixed(0)}/${r.timeToGreeting.p99Ms.toFixed(0)}`,
    r.generatorCorePct.toFixed(1),
    r.generatorSlipP99Ms.toFixed(2),
    r.otherCorePct.toFixed(0),
    r.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)];

  const ratios: string[] = [];
  for (const real of results.filter((r) => r.relay === 'real')) {
    const base = results.find((r) => r.relay === 'baseline' && r.calls === real.calls);
    if (base === undefined) continue;
    const div = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    const p99 = (r: RunResult): number => Math.max(r.callerToModel.p99Ms, r.modelToCaller.p99Ms);
    ratios.push(
      `${real.calls} calls: baseline/real CPU per call ${div(base.cpuPerCallPct, real.cpuPerCallPct)}x, ` +
        `memory per call ${div(base.memPerCallKB, real.memPerCallKB)}x, p99 ${div(p99(base), p99(real))}x`,
    );
  }
  for (const recorded of results.filter((r) => r.relay === 'real')) {
    const unrecorded = results.find((r) => r.relay === 'real-unrecorded' && r.calls === recorded.calls);
    if (unrecorded === undefined || unrecorded.cpuPerCallPct <= 0) continue;
    ratios.push(
      `${recorded.calls} calls: recording on/off CPU per call ${(recorded.cpuPerCallPct / unrecorded.cpuPerCallPct).toFixed(2)}x ` +
        `(${recorded.cpuPerCallPct.toFixed(3)}% against ${unrecorded.cpuPerCallPct.toFixed(3)}%), memory per call ` +
        `${recorded.memPerCallKB.toFixed(1)} against ${unrecorded.memPerCallKB.toFixed(1)} KB`,
    );
  }
  for (const native of results.filter((r) => r.relay === 'real' && r.transport === 'uws-native')) {
    const node = results.find((r) => r.relay === 'real-node' && r.calls === native.calls);
    if (node === undefined || native.cpuPerCallPct <= 0) continue;
    const p99 = (r: RunResult): string => `${r.callerToModel.p99Ms.toFixed(2)}/${r.modelToCaller.p99Ms.toFixed(2)}`;
    ratios.push(
      `${native.calls} calls: node-http/uws-native CPU per call ${(node.cpuPerCallPct / native.cpuPerCallPct).toFixed(2)}x ` +
        `(${node.cpuPerCallPct.toFixed(3)}% against ${native.cpuPerCallPct.toFixed(3)}%), p99 ${p99(node)} against ${p99(native)} ms, ` +
        `memory per call ${node.memPerCallKB.toFixed(1)} against ${native.memPerCallKB.toFixed(1)} KB`,
    );
  }
  if (ratios.length > 0) {
    out.push('', 'Ratios (baseline/real: higher is better for the real relay; recording on/off: 1.10x at most; node-http/uws-native: what the fallback costs):', ...ratios);
  }
  return out.join('\n');
}

/** Which transport each relay ran on, for the report's first line: `real=uws-native, real-node=node-http`. */
export function transportsOf(results: RunResult[]): string {
  const byRelay = new Map<string, string>();
  for (const r of results) if (r.relay !== 'baseline') byRelay.set(r.relay, r.transport);
  return byRelay.size === 0 ? 'n/a' : [...byRelay].map(([relay, transport]) => `${relay}=${transport}`).join(', ');
}
