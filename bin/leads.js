#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx leads ...` works without a build, from any working directory:
// tsx is resolved from this package (not from the cwd, where `--import tsx` would look for it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = import.meta.resolve('tsx');
const result = spawnSync(
  process.execPath,
  ['--import', tsx, join(root, 'src/cli/main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
if (result.error) {
  process.stderr.write(`leads: cannot start: ${result.error.message}\n`);
  process.exit(1);
}
// Killed by a signal: report it the way a shell does (128 + signal number).
process.exit(result.status ?? 128 + (result.signal === 'SIGINT' ? 2 : 15));
