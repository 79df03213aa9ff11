#!/usr/bin/env node
// The `leads` command, from any working directory. In a source checkout it runs the TypeScript through tsx, so
// `npx leads ...` needs no build (tsx is resolved from this package, not from the cwd, where `--import tsx` would
// look for it). The production image ships no sources: there it runs the compiled CLI (`npm run build`) in-process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/cli/main.ts');

if (!existsSync(source)) {
  // Sources absent: the build is the program (a stale dist/ can only run where there is no src/ to be newer).
  await import(pathToFileURL(join(root, 'dist/src/cli/main.js')).href);
} else {
  const tsx = import.meta.resolve('tsx');
  const result = spawnSync(process.execPath, ['--import', tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.error) {
    process.stderr.write(`leads: cannot start: ${result.error.message}\n`);
    process.exit(1);
  }
  // Killed by a signal: report it the way a shell does (128 + signal number).
  process.exit(result.status ?? 128 + (result.signal === 'SIGINT' ? 2 : 15));
}
