/**
 * Lets one test file tolerate a known console message that product code or a library writes and the test cannot
 * avoid (see test/setup/failOnConsole.ts). Every use names why, and should go once the writer is fixed.
 * The list lives on globalThis so the setup file and the test file share it whatever their module instances.
 */

export interface AllowedConsoleOutput {
  method: 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
  pattern: RegExp;
  reason: string;
}

const KEY = Symbol.for('psb.test.allowedConsoleOutput');

/** The allowances of the current test file (cleared after the file by the setup file). */
export function allowedConsoleOutput(): AllowedConsoleOutput[] {
  const holder = globalThis as { [KEY]?: AllowedConsoleOutput[] };
  holder[KEY] ??= [];
  return holder[KEY];
}

/** Tolerates `console[method]` output matching `pattern` for the rest of this test file. */
export function allowConsole(method: AllowedConsoleOutput['method'], pattern: RegExp, reason: string): void {
  allowedConsoleOutput().push({ method, pattern, reason });
}
