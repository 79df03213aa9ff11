import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { bootstrap } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { transportKind, uwsIsNative } from '../src/http/uws.js';
import { createLogger } from '../src/log.js';
import { startBaselineRelay } from './baselineRelay.js';

/**
 * The server under test, in a process of its own (so its CPU time can be read from /proc and it can be pinned to a
 * core): `real` is the service itself (bootstrap from src/app.ts, on an embedded PGlite database in a temp DATA_DIR
 * unless BENCH_DATABASE_URL is set), `real-node` the same on the node-http transport (the runner sets
 * PSB_TRANSPORT=node for it), `baseline` the sample-style relay. Talks to the runner over IPC.
 *
 * argv: <real|real-unrecorded|real-node|baseline> <model realtime url>
 */

export type ServerRequest =
  | { type: 'stats'; gc: boolean }
  | { type: 'close' }
  | { type: 'window'; phase: 'start' | 'end'; label: string };
export interface ServerStats {
  type: 'stats';
  live: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
export interface ServerReady {
  type: 'ready';
  port: number;
  uwsNative: boolean;
  /** The transport serving the real relay ('none' for the baseline, which brings its own server). */
  transport: string;
  database: string;
}

const [kind, modelUrl] = process.argv.slice(2);
const REAL_KINDS = ['real', 'real-unrecorded', 'real-node'];
if ((!REAL_KINDS.includes(kind ?? '') && kind !== 'baseline') || modelUrl === undefined || process.send === undefined) {
  process.stderr.write('usage: serverProcess.ts <real|real-unrecorded|real-node|baseline> <model url> (as a child with IPC)\n');
  process.exit(2);
}
if (kind === 'real-node' && transportKind !== 'node-http') {
  process.stderr.write(`serverProcess.ts: real-node runs on ${transportKind}; PSB_TRANSPORT=node was not set\n`);
  process.exit(2);
}
const send = (message: ServerReady | ServerStats): void => void process.send?.(message);
const gc = (globalThis as { gc?: () => void }).gc;

let live: () => number;
let close: () => Promise<void>;
let port: number;
let database = 'none';
let dataDir: string | null = null;

if (kind !== 'baseline') {
  const databaseUrl = process.env['BENCH_DATABASE_URL'];
  dataDir = await mkdtemp(join(tmpdir(), 'psb-bench-'));
  database = databaseUrl ? 'postgresql' : 'pglite';
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    // Recorded (two-channel WAV per call, the default) or not: the bench measures what recording costs.
    RECORDING: kind === 'real-unrecorded' ? 'off' : 'on',
    OPENAI_REALTIME_URL: modelUrl,
    LOG_LEVEL: 'silent',
    MAX_CALLS: '100000',
    PREWARM_TTL_MS: '120000',
    TRANSCRIPT_WAIT_MS: '200',
    EXTRACTION_TIMEOUT_MS: '5000',
    SUBMISSION_TIMEOUT_MS: '5000',
  });
  const app = await bootstrap(config, createLogger('silent'), { callControl: null });
  port = app.port;
  live = () => app.registry.size;
  close = () => app.close(10_000);
} else {
  const relay = await startBaselineRelay(modelUrl);
  port = relay.port;
  live = relay.live;
  close = () => relay.close();
}

send({ type: 'ready', port, uwsNative: uwsIsNative, transport: kind === 'baseline' ? 'none' : transportKind, database });

// BENCH_PROFILE_DIR: a CPU profile of each measurement window alone (not start-up, ramp or the lead pipeline).
const profileDir = process.env['BENCH_PROFILE_DIR'];
const inspector = profileDir ? new Session() : null;
inspector?.connect();

let snapshots = 0;
process.on('message', (message: ServerRequest) => {
  if (message.type === 'window') {
    if (inspector === null || profileDir === undefined) return;
    if (message.phase === 'start') {
      inspector.post('Profiler.enable', () => inspector.post('Profiler.start'));
    } else {
      inspector.post('Profiler.stop', (error, result) => {
        if (!error) writeFileSync(join(profileDir, `${kind}-${message.label}.cpuprofile`), JSON.stringify(result.profile));
      });
    }
    return;
  }
  if (message.type === 'stats') {
    // Two collections so what is left is what the live calls hold. BENCH_HEAP_DIR: a heap snapshot each time.
    if (message.gc) {
      gc?.();
      gc?.();
    }
    const m = process.memoryUsage();
    if (message.gc && process.env['BENCH_HEAP_DIR'] !== undefined) {
      writeHeapSnapshot(join(process.env['BENCH_HEAP_DIR'], `${kind}-stats-${++snapshots}.heapsnapshot`));
    }
    send({ type: 'stats', live: live(), rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
  } else if (message.type === 'close') {
    void close()
      .catch(() => undefined)
      .then(async () => {
        if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
        process.disconnect();
        // An entry point: exit now rather than wait on lingering handles (and so --cpu-prof gets written).
        process.exit(0);
      });
  }
});
