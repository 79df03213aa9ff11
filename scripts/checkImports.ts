/**
 * Import-cycle check (part of `npm run lint`): reads the relative `import ... from` and `export ... from` specifiers
 * (type-only ones included) of every .ts file under src/ and machines/ with the TypeScript parser, and fails on
 *   - a cycle between files:           `import cycle: a.ts -> b.ts -> a.ts`
 *   - two folders importing each other: `folder cycle: src/x <-> src/y: src/x/a.ts imports src/y/b.ts; src/y/c.ts imports src/x/d.ts`
 * one line each, on stderr, exit code 1. A clean tree prints one summary line on stdout.
 * Dynamic `import()` is not counted: it is how a module defers loading another on purpose.
 *
 * Usage: tsx scripts/checkImports.ts [root]   (root defaults to the repository; folders src and machines under it)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const CHECKED_FOLDERS = ['src', 'machines'] as const;

/** One resolved import between two checked files; paths are root-relative, with `/`. */
export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
  line: number;
}

export interface ImportGraph {
  files: string[];
  /** Sorted by `from`, then `to`; one edge per (from, to) pair (the first import of it in the file). */
  edges: ImportEdge[];
}

export interface FolderPair {
  /** The two folders, `a` < `b`. */
  a: string;
  b: string;
  /** One import from a file of `a` into `b`, and one back. */
  aToB: ImportEdge;
  bToA: ImportEdge;
}

export interface ImportReport {
  files: number;
  /** Each cycle as its files in import order, starting at its smallest path (the first file is not repeated). */
  fileCycles: string[][];
  folderPairs: FolderPair[];
}

/** The relative module specifiers of a file's import and export-from declarations (and `import x = require()`). */
export function relativeSpecifiers(fileName: string, text: string): Array<{ specifier: string; line: number }> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: Array<{ specifier: string; line: number }> = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined): void => {
    if (literal === undefined || !ts.isStringLiteralLike(literal)) return;
    if (!literal.text.startsWith('./') && !literal.text.startsWith('../')) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ specifier: literal.text, line });
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      add(statement, statement.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
      add(statement, statement.moduleReference.expression);
    }
  }
  return found;
}

/** The checked file a specifier names (`./x.js` is `./x.ts` under NodeNext), or null when it is not one of them. */
export function resolveSpecifier(fromFile: string, specifier: string, files: ReadonlySet<string>): string | null {
  const base = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  const candidates = [
    base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'),
    base,
    `${base}.ts`,
    `${base}/index.ts`,
  ];
  return candidates.find((c) => files.has(c)) ?? null;
}

/** The import graph of `sources` (root-relative path with `/` -> file text). Imports of other files are left out. */
export function buildImportGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const files = [...sources.keys()].sort();
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const seen = new Set<string>();
    for (const { specifier, line } of relativeSpecifiers(from, sources.get(from) ?? '')) {
      const to = resolveSpecifier(from, specifier, known);
      if (to === null || seen.has(to)) continue;
      seen.add(to);
      edges.push({ from, to, specifier, line });
    }
  }
  edges.sort((x, y) => compare(x.from, y.from) || compare(x.to, y.to));
  return { files, edges };
}

/**
 * Cycles between files. Each strongly connected component is covered by shortest cycles: every import that takes
 * part in a cycle is on at least one reported cycle, without listing every cycle a large component holds.
 */
export function findFileCycles(graph: ImportGraph): string[][] {
  const next = adjacency(graph);
  const cycles: string[][] = [];
  const keys = new Set<string>();
  for (const component of stronglyConnected(graph.files, next)) {
    const inside = new Set(component);
    const covered = new Set<string>();
    for (const from of component) {
      for (const to of next.get(from) ?? []) {
        if (!inside.has(to) || covered.has(`${from}\n${to}`)) continue;
        // The shortest way back from `to` to `from` closes the cycle through this import.
        const back = shortestPath(to, from, next, inside);
        if (back === null) continue;
        const cycle = from === to ? [from] : [from, ...back.slice(0, -1)];
        for (let i = 0; i < cycle.length; i++) covered.add(`${cycle[i]}\n${cycle[(i + 1) % cycle.length]}`);
        const canonical = rotateToSmallest(cycle);
        const key = canonical.join('\n');
        if (!keys.has(key)) {
          keys.add(key);
          cycles.push(canonical);
        }
      }
    }
  }
  return cycles.sort((x, y) => compare(x.join('\n'), y.join('\n')));
}

/**
 * The unit a file belongs to for the folder rule: its directory, except for the files directly in a checked root
 * folder (`src/app.ts`, `src/config.ts`): each of those is a unit of its own (the composition root at the top, the
 * shared config, log and errors at the bottom), so they do not tie every folder into one.
 */
export function unitOf(file: string, roots: readonly string[] = CHECKED_FOLDERS): string {
  const dir = posix.dirname(file);
  return roots.includes(dir) ? file : dir;
}

/** Folders (a file's directory) that import each other, with the first import each way. */
export function findFolderPairs(graph: ImportGraph): FolderPair[] {
  const between = new Map<string, ImportEdge>();
  for (const edge of graph.edges) {
    const key = `${unitOf(edge.from)}\n${unitOf(edge.to)}`;
    if (!between.has(key)) between.set(key, edge);
  }
  const pairs: FolderPair[] = [];
  for (const [key, aToB] of between) {
    const [a, b] = key.split('\n') as [string, string];
    if (compare(a, b) >= 0) continue;
    const bToA = between.get(`${b}\n${a}`);
    if (bToA !== undefined) pairs.push({ a, b, aToB, bToA });
  }
  return pairs.sort((x, y) => compare(x.a, y.a) || compare(x.b, y.b));
}

/** Reads the .ts files under `folders` of `root` (root-relative paths with `/`). */
export function readSources(root: string, folders: readonly string[] = CHECKED_FOLDERS): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a folder the tree does not have
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (entry.isFile() && entry.name.endsWith('.ts')) {
        sources.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'));
      }
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return sources;
}

export function checkSources(sources: ReadonlyMap<string, string>): ImportReport {
  const graph = buildImportGraph(sources);
  return { files: graph.files.length, fileCycles: findFileCycles(graph), folderPairs: findFolderPairs(graph) };
}

/** The check of a tree on disk. */
export function checkImports(root: string, folders: readonly string[] = CHECKED_FOLDERS): ImportReport {
  return checkSources(readSources(root, folders));
}

export function isClean(report: ImportReport): boolean {
  return report.fileCycles.length === 0 && report.folderPairs.length === 0;
}

const describeEdge = (e: ImportEdge): string => `${e.from}:${e.line} imports ${e.to}`;

/** The lines the script prints: one per cycle and per folder pair, or one summary line when clean. */
export function formatReport(report: ImportReport): string[] {
  if (isClean(report)) return [`import check: ${report.files} files, no import cycles`];
  return [
    ...report.fileCycles.map((cycle) => `import cycle: ${[...cycle, cycle[0]].join(' -> ')}`),
    ...report.folderPairs.map(
      (p) => `folder cycle: ${p.a} <-> ${p.b}: ${describeEdge(p.aToB)}; ${describeEdge(p.bToA)}`,
    ),
  ];
}

// ---- graph helpers ----

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function adjacency(graph: ImportGraph): Map<string, string[]> {
  const next = new Map<string, string[]>(graph.files.map((f) => [f, []]));
  for (const edge of graph.edges) next.get(edge.from)?.push(edge.to);
  return next;
}

/** Tarjan's algorithm, iterative; only components that hold a cycle (more than one file, or a self-import). */
function stronglyConnected(files: readonly string[], next: ReadonlyMap<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of files) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; i: number }> = [{ node: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; i: number };
      const targets = next.get(frame.node) ?? [];
      if (frame.i < targets.length) {
        const to = targets[frame.i++] as string;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, i: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfImport = (next.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfImport) components.push(component.sort());
      }
    }
  }
  return components;
}

/** Breadth-first path from `from` to `to` inside `within`, both ends included; null when there is none. */
function shortestPath(
  from: string,
  to: string,
  next: ReadonlyMap<string, string[]>,
  within: ReadonlySet<string>,
): string[] | null {
  const previous = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as string;
    if (node === to) {
      const path: string[] = [];
      for (let at: string | null = node; at !== null; at = previous.get(at) ?? null) path.unshift(at);
      return path;
    }
    for (const target of next.get(node) ?? []) {
      if (!within.has(target) || previous.has(target)) continue;
      previous.set(target, node);
      queue.push(target);
    }
  }
  return null;
}

function rotateToSmallest(cycle: string[]): string[] {
  let best = 0;
  for (let i = 1; i < cycle.length; i++) if (compare(cycle[i] as string, cycle[best] as string) < 0) best = i;
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}

// ---- the command ----

function main(): void {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const report = checkImports(root);
  const lines = formatReport(report);
  if (isClean(report)) {
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exitCode = 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
