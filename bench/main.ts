import { parseArgs } from 'node:util';
import { formatReport, transportsOf } from './report.js';
import { DEFAULT_RELAYS, RELAY_KINDS, runBench, type RelayKind } from './runBench.js';

/**
 * `npm run bench [-- --quick] [--steps 50,100] [--relay real,real-unrecorded,real-node,baseline] [--window-ms 5000] [--budget-s 240]`:
 * the relay load benchmark (`real` records every call, as the service does by default; `real-unrecorded` has
 * RECORDING=off; `real-node` is `real` on the node-http transport, to compare it with native uWS in one run).
 * Prints progress on stderr, then the table, the ratios and one JSON line per run on stdout.
 */

const FULL_STEPS = [50, 100, 200, 400, 800, 1600, 3200];
const QUICK_STEPS = [10, 50];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    steps: { type: 'string' },
    relay: { type: 'string' },
    'window-ms': { type: 'string' },
    'warmup-ms': { type: 'string' },
    'max-p99-ms': { type: 'string', default: '20' },
    'budget-s': { type: 'string' },
  },
});

const steps = values.steps ? values.steps.split(',').map((s) => Number(s.trim())) : values.quick ? QUICK_STEPS : FULL_STEPS;
const relays = (values.relay ? values.relay.split(',').map((r) => r.trim()) : [...DEFAULT_RELAYS]) as RelayKind[];
if (steps.some((n) => !Number.isInteger(n) || n <= 0) || relays.some((r) => !RELAY_KINDS.includes(r))) {
  process.stderr.write('usage: npm run bench -- [--quick] [--steps 50,100,...] [--relay real,real-unrecorded,real-node,baseline]\n');
  process.exit(2);
}

const started = Date.now();
const results = await runBench({
  steps,
  relays,
  warmupMs: Number(values['warmup-ms'] ?? (values.quick ? 1000 : 2000)),
  windowMs: Number(values['window-ms'] ?? (values.quick ? 1500 : 5000)),
  maxP99Ms: Number(values['max-p99-ms']),
  budgetMs: Number(values['budget-s'] ?? (values.quick ? 60 : 240)) * 1000,
  env: { BENCH_DATABASE_URL: process.env['BENCH_DATABASE_URL'], BENCH_NODE_ARGS: process.env['BENCH_NODE_ARGS'], BENCH_PROFILE_DIR: process.env['BENCH_PROFILE_DIR'],
    BENCH_HEAP_DIR: process.env['BENCH_HEAP_DIR'],
  },
  progress: (line) => process.stderr.write(`${line}\n`),
});
const first = results[0];
process.stdout.write(
  `\nRelay load benchmark (${first?.pinned ? 'server pinned to core 0, generator to core 1' : 'not pinned'}; ` +
    `transport: ${transportsOf(results)}; database: ${results.find((r) => r.relay !== 'baseline')?.database ?? 'n/a'}; ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s)\n\n`,
);
process.stdout.write(`${formatReport(results)}\n\n`);
for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
