import { format, stripVTControlCharacters } from 'node:util';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { allowedConsoleOutput } from '../support/allowConsole.js';

/**
 * Fails any test that writes to the console. Product code logs through pino (silent in tests), so console output
 * means a stray debug line, a library warning (xstate's "sent to stopped actor") or a child process's output that
 * should have been captured. Output is swallowed and shown in the failure instead, with where it came from.
 * Output written outside a test (beforeAll, afterAll, module top level) fails the file in afterAll.
 * A file can tolerate one known message with allowConsole() (test/support/allowConsole.ts).
 */

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
type Method = (typeof METHODS)[number];

interface Captured {
  method: Method;
  text: string;
  /** The first frames outside this file: where the write came from. */
  site: string;
}

let captured: Captured[] = [];
let outsideTests: Captured[] = [];

function callSite(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  const frames = stack.filter((line) => !line.includes('failOnConsole'));
  return frames
    .slice(0, 6)
    .map((line) => `    ${line.trim()}`)
    .join('\n');
}

for (const method of METHODS) {
  console[method] = (...args: unknown[]): void => {
    const text = stripVTControlCharacters(format(...args));
    if (allowedConsoleOutput().some((allowed) => allowed.method === method && allowed.pattern.test(text))) return;
    captured.push({ method, text, site: callSite() });
  };
}

function describeAll(entries: Captured[]): string {
  return entries.map((c) => `console.${c.method}: ${c.text}\n${c.site}`).join('\n');
}

beforeEach(() => {
  // Whatever was written between tests (hooks, imports) is not this test's doing.
  outsideTests.push(...captured);
  captured = [];
});

afterEach(() => {
  const entries = captured;
  captured = [];
  if (entries.length > 0) {
    throw new Error(`test wrote to the console (${entries.length} call(s)):\n${describeAll(entries)}`);
  }
});

afterAll(() => {
  const entries = [...outsideTests, ...captured];
  outsideTests = [];
  captured = [];
  allowedConsoleOutput().length = 0;
  if (entries.length > 0) {
    throw new Error(`file wrote to the console outside its tests (${entries.length} call(s)):\n${describeAll(entries)}`);
  }
});
