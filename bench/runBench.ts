import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOP_RESOLUTION_MS, startLoadGenerator } from './loadGenerator.js';
import { startLoadModel, type DirectionStats, type LoadModel } from './loadModel.js';
import type { ServerReady, ServerRequest, ServerStats } from './serverProcess.js';

/**
 * Which relay a run measures: the service itself (recording calls, as by default, or not; `real-node` is `real` on
 * the node-http transport whatever the Node, PSB_TRANSPORT=node), or the sample-style baseline.
 */
export type RelayKind = 'real' | 'real-unrecorded' | 'real-node' | 'baseline';
export const RELAY_KINDS: readonly RelayKind[] = ['real', 'real-unrecorded', 'real-node', 'baseline'];
/** What `npm run bench` measures without --relay (real-node on request: it doubles the real relay's run time). */
export const DEFAULT_RELAYS: readonly RelayKind[] = ['real', 'real-unrecorded', 'baseline'];

export interface BenchOptions {
  /** Concurrent calls per step, in order; a relay stops at its first step over a limit. */
  steps: number[];
  relays: RelayKind[];
  warmupMs: number;
  windowMs: number;
  /** A relay's run fails its step when either direction's p99 exceeds this. */
  maxP99Ms: number;
  /** Env for the server processes (BENCH_DATABASE_URL). */
  env?: Record<string, string | undefined>;
  /** No new step starts after this long (the run still prints what it measured). */
  budgetMs?: number;
  /** Pin servers and this process to separate cores when possible (default true; tests say false). */
  pin?: boolean;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  received: number;
  sent: number;
  lost: number;
  reordered: number;
  gaps: number;
}

/** One relay at one load. */
export interface RunResult {
  /** Twilio's start to the first agent frame per call (the fake model answers MODEL_FIRST_AUDIO_MS after response.create). */
  timeToGreeting: { p50Ms: number; p99Ms: number; maxMs: number; calls: number };
  relay: RelayKind;
  calls: number;
  windowS: number;
  /** Server process CPU (user + system, all threads) as a share of one core. */
  serverCorePct: number;
  /** The same per concurrent call. */
  cpuPerCallPct: number;
  /** 100 / cpuPerCallPct: calls one core would carry at this cost. */
  projectedCallsPerCore: number;
  /** (heapUsed + external) after a full GC, minus the same before the calls, per call. */
  memPerCallKB: number;
  rssPerCallKB: number;
  callerToModel: LatencySummary;
  modelToCaller: LatencySummary;
  /** Caller frames lost at the start of calls (before the relay could forward them). */
  startDropped: number;
  /** The bench process (generator + fake model) as a share of its core, and its own lateness. */
  generatorCorePct: number;
  generatorSlipP99Ms: number;
  generatorLoopP99Ms: number;
  generatorSaturated: boolean;
  /** CPU used by other processes on the machine during the window, as a share of one core (noise indicator). */
  otherCorePct: number;
  /** Why this relay's steps stop here, if they do. */
  limit: string | null;
  /** The limit, plus what made the figures less trustworthy (other load on the machine). */
  note: string;
  pinned: boolean;
  uwsNative: boolean;
  /** What served HTTP and WebSockets in the server process (none for the baseline, which has its own). */
  transport: string;
  database: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** Generator saturation: its schedule slips or its loop stalls beyond what a healthy process shows. */
const SLIP_P99_LIMIT_MS = 5;
const LOOP_P99_LIMIT_MS = 10;
const GENERATOR_CORE_LIMIT_PCT = 90;

/** Beyond this, other processes compete for the cores and latency limits do not stop a run (CPU time still counts). */
const NOISY_OTHER_CORE_PCT = 25;
/** A server using more of its core than this cannot keep up for long: its last step. */
const SERVER_CORE_LIMIT_PCT = 90;

interface ServerChild {
  kind: RelayKind;
  child: ChildProcess;
  ready: ServerReady;
  /** Memory after two full collections (or, without `gc`, just the live count cheaply). */
  stats(gc?: boolean): Promise<ServerStats>;
  window(phase: 'start' | 'end', label: string): void;
  close(): Promise<void>;
}

function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) a process has used, from /proc. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / clockTicks;
}

async function startServer(kind: RelayKind, modelUrl: string, pin: boolean, env: Record<string, string | undefined>): Promise<ServerChild> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the server processes, for profiling.
  const extra = (env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const nodeArgs = [...extra, '--import', 'tsx', '--expose-gc', join(here, 'serverProcess.ts'), kind, modelUrl];
  const [command, args] = pin ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command as string, args as string[], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // uws.ts picks the transport when it loads: real-node forces node-http in its process alone.
    env: { ...process.env, ...env, ...(kind === 'real-node' ? { PSB_TRANSPORT: 'node' } : {}) },
  });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start in 120 s`)), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited during start-up (code ${code})`));
    });
    child.on('message', (m: ServerReady | ServerStats) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
  let waiters: Array<(s: ServerStats) => void> = [];
  child.on('message', (m: ServerReady | ServerStats) => {
    if (m.type !== 'stats') return;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve(m);
  });
  return {
    kind,
    child,
    ready,
    stats: (gc = true) =>
      new Promise<ServerStats>((resolve) => {
        waiters.push(resolve);
        child.send({ type: 'stats', gc } satisfies ServerRequest);
      }),
    window: (phase, label) => child.send({ type: 'window', phase, label } satisfies ServerRequest),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'close' } satisfies ServerRequest);
        // It exits once its handles are closed; give it a nudge after the graceful close.
        child.once('disconnect', () => setTimeout(() => child.kill('SIGTERM'), 2_000).unref());
      }),
  };
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (f[3] ?? 0) - (f[4] ?? 0)) / clockTicks;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

function summarize(stats: DirectionStats, sent: number): LatencySummary {
  const h = stats.latency;
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    p50Ms: stats.received ? ms(h.percentile(50)) : 0,
    p99Ms: stats.received ? ms(h.percentile(99)) : 0,
    maxMs: stats.received ? ms(h.max) : 0,
    received: stats.received,
    sent,
    lost: Math.max(0, sent - stats.received),
    reordered: stats.reordered,
    gaps: stats.gaps,
  };
}

async function runStep(server: ServerChild, model: LoadModel, calls: number, options: BenchOptions, pinned: boolean): Promise<RunResult> {
  const before = await server.stats();
  const startDropped0 = model.startDropped();
  const base = `ws://127.0.0.1:${server.ready.port}`;
  const gen = startLoadGenerator({
    streamUrl: server.kind !== 'baseline' ? `${base}/twilio/voice/stream` : `${base}/media-stream`,
    ...(server.kind !== 'baseline' ? { webhookUrl: `http://127.0.0.1:${server.ready.port}/twilio/voice-realtime-proxied` } : {}),
  });
  try {
    await gen.addCalls(calls);
    await waitUntil(() => model.openConnections() >= calls, 30_000, `${calls} model connections`);
    await sleep(options.warmupMs);

    const windowStart = performance.now();
    gen.resetStats();
    gen.windowStart = windowStart;
    model.resetStats(windowStart);
    server.window('start', String(calls));
    const cpu0 = processCpuSeconds(server.child.pid as number);
    const gcpu0 = process.cpuUsage();
    const busy0 = machineBusySeconds();
    await sleep(options.windowMs);
    const cpu1 = processCpuSeconds(server.child.pid as number);
    const gcpu = process.cpuUsage(gcpu0);
    const busy1 = machineBusySeconds();
    server.window('end', String(calls));
    const elapsedS = (performance.now() - windowStart) / 1000;
    // Stop sending both ways, then let what is in flight land before counting losses.
    gen.pause(true);
    model.pause(true);
    await sleep(500);
    const after = await server.stats();

    const serverCorePct = ((cpu1 - cpu0) / elapsedS) * 100;
    const cpuPerCallPct = serverCorePct / calls;
    const callerToModel = summarize(model.caller, gen.callerSent());
    const modelToCaller = summarize(gen.agent, model.agentSent());
    const generatorCorePct = ((gcpu.user + gcpu.system) / 1e6 / elapsedS) * 100;
    // Anything else running on the machine meanwhile (other processes compete for the two cores).
    const otherCorePct = Math.max(0, ((busy1 - busy0) / elapsedS) * 100 - serverCorePct - generatorCorePct);
    const generatorSlipP99Ms = gen.slip.count ? gen.slip.percentile(99) / 1000 : 0;
    // The histogram holds whole timer intervals: what exceeds the sampling resolution is the stall.
    const generatorLoopP99Ms = Math.max(0, gen.loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS);
    // Other processes on the machine steal the cores from both sides: latency is then not the relay's alone.
    const noisy = otherCorePct > NOISY_OTHER_CORE_PCT;
    const slipping = generatorSlipP99Ms > SLIP_P99_LIMIT_MS || generatorLoopP99Ms > LOOP_P99_LIMIT_MS || model.lateFrames() > 0;
    // Saturated: its own core is full, or it slips with nothing else to blame.
    const generatorSaturated = (pinned && generatorCorePct > GENERATOR_CORE_LIMIT_PCT) || (slipping && !noisy);
    const lost = callerToModel.lost + modelToCaller.lost;
    const p99 = Math.max(callerToModel.p99Ms, modelToCaller.p99Ms);
    const limit = generatorSaturated
      ? 'generator saturated'
      : lost > 0
        ? `${lost} frames lost`
        : serverCorePct > SERVER_CORE_LIMIT_PCT
          ? 'server core full'
          : p99 > options.maxP99Ms && !noisy
            ? `p99 ${p99.toFixed(1)} ms > ${options.maxP99Ms} ms`
            : null;
    const notes = [
      ...(limit !== null ? [limit] : []),
      ...(p99 > options.maxP99Ms && noisy ? [`p99 ${p99.toFixed(1)} ms`] : []),
      ...(noisy ? [`noisy: other processes used ${otherCorePct.toFixed(0)}% of a core${slipping ? ', generator slipped' : ''}`] : []),
    ];
    const round = (x: number, d = 3): number => Number(x.toFixed(d));
    const greetings = gen.calls.flatMap((c) => (c.greetingMs === null ? [] : [c.greetingMs])).sort((a, b) => a - b);
    const pct = (q: number): number => (greetings.length === 0 ? 0 : (greetings[Math.min(greetings.length - 1, Math.floor((q / 100) * greetings.length))] as number));
    return {
      relay: server.kind,
      calls,
      timeToGreeting: { p50Ms: round(pct(50), 1), p99Ms: round(pct(99), 1), maxMs: round(greetings.at(-1) ?? 0, 1), calls: greetings.length },
      windowS: round(elapsedS, 2),
      serverCorePct: round(serverCorePct, 1),
      cpuPerCallPct: round(cpuPerCallPct, 4),
      projectedCallsPerCore: cpuPerCallPct > 0 ? Math.round(100 / cpuPerCallPct) : 0,
      memPerCallKB: round((after.heapUsed + after.external - before.heapUsed - before.external) / calls / 1024, 1),
      rssPerCallKB: round((after.rss - before.rss) / calls / 1024, 1),
      callerToModel,
      modelToCaller,
      startDropped: model.startDropped() - startDropped0,
      generatorCorePct: round(generatorCorePct, 1),
      otherCorePct: round(otherCorePct, 1),
      generatorSlipP99Ms: round(generatorSlipP99Ms),
      generatorLoopP99Ms: round(generatorLoopP99Ms),
      generatorSaturated,
      limit,
      note: notes.join('; '),
      pinned,
      uwsNative: server.ready.uwsNative,
      transport: server.ready.transport,
      database: server.ready.database,
    };
  } finally {
    await gen.hangUpAll();
    gen.close();
    model.pause(false);
    await waitUntil(async () => (await server.stats(false)).live === 0 && model.openConnections() === 0, 120_000, 'calls to end');
  }
}

/** Runs every step against every relay (side by side per step) and returns one result per run. */
export async function runBench(options: BenchOptions): Promise<RunResult[]> {
  const progress = options.progress ?? (() => undefined);
  const deadline = Date.now() + (options.budgetMs ?? Number.POSITIVE_INFINITY);
  const pinned = (options.pin ?? true) && canPin();
  if (pinned) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  progress(pinned ? 'pinned: servers on core 0, generator + fake model on core 1' : 'not pinned (fewer than 2 cores or no taskset)');
  const model = await startLoadModel();
  const servers: ServerChild[] = [];
  const results: RunResult[] = [];
  try {
    for (const kind of options.relays) servers.push(await startServer(kind, model.url, pinned, options.env ?? {}));
    // A short unreported round first, so JIT code, pools and lazily loaded modules are not billed to the first step.
    for (const server of servers) {
      progress(`${server.kind}: warm-up round`);
      await runStep(server, model, Math.min(20, options.steps[0] ?? 20), { ...options, windowMs: 500, warmupMs: 300 }, pinned);
    }
    const active = new Set(servers);
    for (const calls of options.steps) {
      if (active.size === 0) break;
      let saturated = false;
      for (const server of servers) {
        if (!active.has(server)) continue;
        if (Date.now() > deadline) {
          progress(`time budget spent: no step beyond ${calls} calls`);
          active.clear();
          break;
        }
        progress(`${server.kind}: ${calls} calls...`);
        let result: RunResult;
        try {
          result = await runStep(server, model, calls, options, pinned);
        } catch (error) {
          // A step that cannot even be set up (calls not connecting in time) is this relay's limit, not a crash.
          progress(`${server.kind}: ${calls} calls failed: ${error instanceof Error ? error.message : String(error)}`);
          active.delete(server);
          continue;
        }
        results.push(result);
        progress(
          `${server.kind}: ${calls} calls: server ${result.serverCorePct}% of a core, p99 ${result.callerToModel.p99Ms}/${result.modelToCaller.p99Ms} ms${result.limit ? ` (${result.limit})` : ''}`,
        );
        if (result.limit !== null) active.delete(server);
        if (result.generatorSaturated) saturated = true;
      }
      // When the generator is the bottleneck, no relay can be measured beyond this load (the step itself is kept
      // for every relay, so the ratios compare like with like).
      if (saturated) active.clear();
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    model.close();
  }
  return results;
}
