import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildImportGraph,
  checkImports,
  checkSources,
  findFileCycles,
  findFolderPairs,
  formatReport,
  isClean,
  relativeSpecifiers,
  unitOf,
} from '../../scripts/checkImports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'checkImports.ts');

const tree = (files: Record<string, string>): Map<string, string> => new Map(Object.entries(files));

/** Runs the script as `npm run lint` does (tsx), its output captured. */
function runScript(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

const tempDirs: string[] = [];
function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  tempDirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('relativeSpecifiers', () => {
  it('reads imports and export-froms, type-only ones included, and nothing else', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import { type C, c } from './c.js';",
      "import './sideEffect.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "export * from './f.js';",
      "import g = require('./g.js');",
      "import { z } from 'zod';",
      "import { readFileSync } from 'node:fs';",
      "// import { h } from './h.js';",
      "const s = \"import { i } from './i.js'\";",
      "const lazy = () => import('./lazy.js');",
      'export const x = 1;',
    ].join('\n');
    expect(relativeSpecifiers('src/x/file.ts', text)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../b.js', line: 2 },
      { specifier: './c.js', line: 3 },
      { specifier: './sideEffect.js', line: 4 },
      { specifier: './d.js', line: 5 },
      { specifier: './e.js', line: 6 },
      { specifier: './f.js', line: 7 },
      { specifier: './g.js', line: 8 },
    ]);
  });

  it('resolves .js to .ts, folders to index.ts, and leaves out files outside the checked tree', () => {
    const graph = buildImportGraph(
      tree({
        'src/a.ts': "import './b.js';\nimport './db/index.js';\nimport './entities';\nimport '../test/helper.js';",
        'src/b.ts': '',
        'src/db/index.ts': '',
        'src/entities/index.ts': '',
      }),
    );
    expect(graph.edges.map((e) => [e.from, e.to])).toEqual([
      ['src/a.ts', 'src/b.ts'],
      ['src/a.ts', 'src/db/index.ts'],
      ['src/a.ts', 'src/entities/index.ts'],
    ]);
  });
});

describe('file cycles', () => {
  it('finds a cycle of two files, through a type-only import too', () => {
    const report = checkSources(
      tree({
        'src/calls/call.ts': "import type { Deps } from './callActors.js';",
        'src/calls/callActors.ts': "import { Call } from './call.js';",
      }),
    );
    expect(report.fileCycles).toEqual([['src/calls/call.ts', 'src/calls/callActors.ts']]);
    expect(report.folderPairs).toEqual([]);
    expect(formatReport(report)).toEqual(['import cycle: src/calls/call.ts -> src/calls/callActors.ts -> src/calls/call.ts']);
    expect(isClean(report)).toBe(false);
  });

  it('finds a cycle of three files, starting at its smallest path, without the files that only lead into it', () => {
    const report = checkSources(
      tree({
        'src/m/z.ts': "export { x } from './x.js';",
        'src/m/x.ts': "import { y } from './y.js';",
        'src/m/y.ts': "import { z } from './z.js';",
        'src/m/w.ts': "import { y } from './y.js';\nimport { x } from './x.js';",
      }),
    );
    expect(report.fileCycles).toEqual([['src/m/x.ts', 'src/m/y.ts', 'src/m/z.ts']]);
    expect(formatReport(report)).toEqual(['import cycle: src/m/x.ts -> src/m/y.ts -> src/m/z.ts -> src/m/x.ts']);
  });

  it('reports every import that closes a cycle: two cycles through one file, and a self-import', () => {
    const graph = buildImportGraph(
      tree({
        'src/a.ts': "import './b.js';\nimport './c.js';",
        'src/b.ts': "import './a.js';",
        'src/c.ts': "import './a.js';",
        'src/self.ts': "import './self.js';",
      }),
    );
    expect(findFileCycles(graph)).toEqual([['src/a.ts', 'src/b.ts'], ['src/a.ts', 'src/c.ts'], ['src/self.ts']]);
  });
});

describe('folder pairs', () => {
  it('finds two folders that import each other without a file cycle, with one import each way', () => {
    const report = checkSources(
      tree({
        'src/leads/lead.ts': "import { enqueue } from '../outbox/leadOutbox.js';",
        'src/leads/normalize.ts': '',
        'src/outbox/leadOutbox.ts': '',
        'src/outbox/submitLead.ts': "import type { Lead } from '../leads/normalize.js';",
      }),
    );
    expect(report.fileCycles).toEqual([]);
    expect(report.folderPairs).toEqual([
      {
        a: 'src/leads',
        b: 'src/outbox',
        aToB: { from: 'src/leads/lead.ts', to: 'src/outbox/leadOutbox.ts', specifier: '../outbox/leadOutbox.js', line: 1 },
        bToA: { from: 'src/outbox/submitLead.ts', to: 'src/leads/normalize.ts', specifier: '../leads/normalize.js', line: 1 },
      },
    ]);
    expect(formatReport(report)).toEqual([
      'folder cycle: src/leads <-> src/outbox: src/leads/lead.ts:1 imports src/outbox/leadOutbox.ts; ' +
        'src/outbox/submitLead.ts:1 imports src/leads/normalize.ts',
    ]);
  });

  it('counts each file directly in src/ as a unit of its own, not src/ as one folder', () => {
    expect(unitOf('src/app.ts')).toBe('src/app.ts');
    expect(unitOf('src/calls/call.ts')).toBe('src/calls');
    expect(unitOf('machines/callMachine.ts')).toBe('machines/callMachine.ts');
  });

  it('treats a subfolder as a folder of its own', () => {
    const graph = buildImportGraph(
      tree({
        'src/leads/lead.ts': "import './lexicon/makes.js';",
        'src/leads/lexicon/makes.ts': "import '../normalize.js';",
        'src/leads/normalize.ts': '',
      }),
    );
    expect(findFolderPairs(graph).map((p) => [p.a, p.b])).toEqual([['src/leads', 'src/leads/lexicon']]);
  });
});

describe('a clean tree', () => {
  const clean = {
    'src/app.ts': "import { a } from './leads/lead.js';\nimport { b } from './outbox/leadOutbox.js';\nimport { z } from 'zod';",
    'src/leads/lead.ts': "import type { Config } from '../config/config.js';",
    'src/outbox/leadOutbox.ts': "import type { Lead } from '../leads/lead.js';",
    'src/config/config.ts': '',
    'machines/callMachine.ts': "import type { Lead } from '../src/leads/lead.js';",
  };

  it('has no cycles and no folder pairs, and says so in one line', () => {
    const report = checkSources(tree(clean));
    expect(report).toEqual({ files: 5, fileCycles: [], folderPairs: [] });
    expect(isClean(report)).toBe(true);
    expect(formatReport(report)).toEqual(['import check: 5 files, no import cycles']);
  });

  it('the script passes it (exit 0, the line on stdout), reading src and machines only', () => {
    const root = writeTree({ ...clean, 'test/loop.ts': "import './loop.js';" });
    expect(checkImports(root)).toEqual(checkSources(tree(clean)));
    expect(runScript(root)).toEqual({ status: 0, stdout: 'import check: 5 files, no import cycles\n', stderr: '' });
  });
});

describe('the script', () => {
  it('fails a tree with a cycle and a folder pair: exit 1, one line each on stderr', () => {
    const root = writeTree({
      'src/a/x.ts': "import './y.js';",
      'src/a/y.ts': "import type { X } from './x.js';\nimport '../b/one.js';",
      'src/b/one.ts': '',
      'src/b/two.ts': "import '../a/x.js';",
    });
    const result = runScript(root);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      'import cycle: src/a/x.ts -> src/a/y.ts -> src/a/x.ts',
      'folder cycle: src/a <-> src/b: src/a/y.ts:2 imports src/b/one.ts; src/b/two.ts:1 imports src/a/x.ts',
    ]);
  });

  it('the real tree is clean: no file imports itself round a cycle, no two folders import each other', () => {
    const report = checkImports(ROOT);
    expect(report.files).toBeGreaterThan(50);
    expect(formatReport(report)).toEqual([`import check: ${report.files} files, no import cycles`]);
    expect(isClean(report)).toBe(true);
    const result = runScript();
    expect(result.status).toBe(isClean(report) ? 0 : 1);
    expect(lines(isClean(report) ? result.stdout : result.stderr)).toEqual(formatReport(report));
    for (const line of formatReport(report)) {
      expect(line).toMatch(
        /^(import check: \d+ files, no import cycles|import cycle: \S+\.ts( -> \S+\.ts)+|folder cycle: \S+ <-> \S+: \S+\.ts:\d+ imports \S+\.ts; \S+\.ts:\d+ imports \S+\.ts)$/,
      );
    }
  });
});
