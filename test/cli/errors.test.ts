import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { runLeads } from '../support/runLeads.js';

let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  [t, dir] = await Promise.all([createTestDatabase(), mkdtemp(join(tmpdir(), 'psb-cli-'))]);
});
afterAll(async () => {
  await Promise.all([t?.close(), rm(dir, { recursive: true, force: true })]);
});

/** stderr must be exactly one line (no stack trace). */
const oneLine = (stderr: string): string => {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
};

describe('leads error paths', { timeout: 120_000 }, () => {
  it('hostile input is never echoed raw: control characters replaced, length capped, one line', async () => {
    const escape = '\u001b[2J\u001b]0;pwned\u0007';
    const huge = 'x'.repeat(100_000);
    for (const args of [
      ['failed', 'show', escape],
      ['failed', 'retry', escape],
      ['failed', 'show', huge],
      ['failed', 'retry', huge],
      [`un${escape}known`],
      ['succeeded', 'list', '--since', escape],
    ]) {
      const run = await runLeads(args, t.env);
      const line = oneLine(run.stderr);
      expect(line, args.join(' ').slice(0, 40)).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(line.length).toBeLessThan(400);
      expect(run.stdout).toBe('');
    }
    const json = await runLeads(['failed', 'retry', huge, '--json'], t.env);
    expect(json.code).toBe(3);
    expect(json.stdout.length).toBeLessThan(400);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ outcome: 'not-found' })]);
  });

  it('a bad environment variable: one line naming it, exit 2', async () => {
    const run = await runLeads(['failed', 'list'], { ...t.env, NPA_MAX_ATTEMPTS: 'lots' });
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toMatch(/^leads: Invalid configuration: NPA_MAX_ATTEMPTS: /);
    expect(run.stdout).toBe('');
    const badUrl = await runLeads(['db', 'migrate'], { DATABASE_URL: 'mysql://nope' });
    expect(badUrl.code).toBe(2);
    expect(oneLine(badUrl.stderr)).toMatch(/^leads: Invalid configuration: DATABASE_URL: /);
  });

  it('extract: missing file, bad JSON, not a transcript -> exit 2 with one clear line', async () => {
    const missing = await runLeads(['extract', '--offline', join(dir, 'nope.json')], t.env);
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toBe(`leads: cannot read ${join(dir, 'nope.json')}: no such file`);

    await writeFile(join(dir, 'bad.json'), '{"turns": [');
    const bad = await runLeads(['extract', '--offline', join(dir, 'bad.json')], t.env);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/^leads: .*bad\.json is not valid JSON: /);

    await writeFile(join(dir, 'shape.json'), '{"turns": [{"role": "robot", "text": "hi"}]}');
    const shape = await runLeads(['extract', '--offline', join(dir, 'shape.json')], t.env);
    expect(shape.code).toBe(2);
    expect(oneLine(shape.stderr)).toMatch(/^leads: .*shape\.json is not a call transcript .*turns\.0\.role/);

    const usage = await runLeads(['extract'], t.env);
    expect(usage.code).toBe(2);
    expect(oneLine(usage.stderr)).toBe('leads: usage: leads extract [--offline] FILE');
  });

  it('unknown ids -> exit 3', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const show = await runLeads(['failed', 'show', unknown], t.env);
    expect(show.code).toBe(3);
    expect(oneLine(show.stderr)).toBe(`leads: no failed lead with id ${unknown}`);
    const retry = await runLeads(['failed', 'retry', 'not-a-uuid'], t.env);
    expect(retry.code).toBe(3);
    expect(oneLine(retry.stderr)).toBe('leads: no failed lead with id not-a-uuid');
  });

  it('usage errors -> exit 2', async () => {
    const since = await runLeads(['succeeded', 'list', '--since', '2025-02-30'], t.env);
    expect(since.code).toBe(2);
    expect(oneLine(since.stderr)).toMatch(/^leads: --since: not a date: 2025-02-30/);
    const unknownCommand = await runLeads(['frobnicate'], t.env);
    expect(unknownCommand.code).toBe(2);
    expect(oneLine(unknownCommand.stderr)).toBe('leads: unknown command "frobnicate" (see leads --help)');
    const unknownOption = await runLeads(['failed', 'list', '--bogus'], t.env);
    expect(unknownOption.code).toBe(2);
    oneLine(unknownOption.stderr);
    const both = await runLeads(['failed', 'retry', 'x', '--all'], t.env);
    expect(both.code).toBe(2);
  });

  it('db migrate on a migrated database says it is up to date; lists can be empty', async () => {
    const migrate = await runLeads(['db', 'migrate'], t.env);
    expect(migrate).toMatchObject({ code: 0, stdout: 'database is up to date\n', stderr: '' });
    const succeeded = await runLeads(['succeeded', 'list', '--json'], t.env);
    expect(succeeded.code).toBe(0);
    expect(JSON.parse(succeeded.stdout)).toEqual([]);
  });

  it('an unreachable database is an operation failure (exit 1), one line', async () => {
    const run = await runLeads(['failed', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toMatch(/^leads: /);
  });
});
