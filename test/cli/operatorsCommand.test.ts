// `leads operators ...` as operators run it: the real CLI in a child process, the password piped on stdin.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { OperatorAccounts } from '../../src/admin/operatorAccounts.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { runLeads } from '../support/runLeads.js';

let t: TestDatabase;
let repos: Repositories;
let env: Record<string, string>;

beforeAll(async () => {
  t = await createTestDatabase();
  repos = createRepositories(t.db);
  // LOG_LEVEL=debug: whatever the command logs is on stderr, where the test can check it for the password.
  env = { ...t.env, LOG_LEVEL: 'debug' };
});
afterAll(async () => {
  await t?.close();
});

const PASSWORD = 'Tr0ub4dor&3 horse';
const BIN = fileURLToPath(new URL('../../bin/leads.js', import.meta.url));
/**
 * util-linux `script` gives the command a real pseudo-terminal (echo, raw mode), as a person's shell would. It is
 * in bsdutils, an essential Debian package: every machine this runs on has it.
 */

/** Runs `leads args` in a pseudo-terminal, typing each answer when its prompt appears; resolves with the screen. */
function runInTerminal(args: string[], answers: Array<[prompt: string, typed: string]>): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  // The terminal shows stdout and stderr together: logs at warn, so the screen holds only the command's own lines.
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env, LOG_LEVEL: 'warn' },
  });
  let screen = '';
  let next = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    const answer = answers[next];
    // Each prompt text once per answer: count how many times it has appeared so far.
    if (answer && screen.split(answer[0]).length - 1 > answers.slice(0, next).filter(([p]) => p === answer[0]).length) {
      next++;
      child.stdin.write(`${answer[1]}\r`);
    }
  });
  child.stderr.resume();
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, screen })));
}

// Each CLI run is a fresh node + tsx + ORM start-up (1-4 s under load).
describe('leads operators', { timeout: 120_000 }, () => {
  it('adds an operator with the password read from stdin (its first line), never echoed or logged', async () => {
    const added = await runLeads(['operators', 'add', 'Alice'], env, { input: `${PASSWORD}\nignored second line\n` });
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('operator alice added\n');
    expect(added.stdout + added.stderr).not.toContain(PASSWORD);
    expect(added.stderr).not.toMatch(/scrypt\$/);
    // The stored hash is of the first line exactly: the password logs in.
    const login = await new OperatorAccounts(repos).login('alice', PASSWORD, null);
    expect(login.operator.name).toBe('alice');

    const crlf = await runLeads(['operators', 'add', 'bob'], env, { input: 'bob password 12\r\n' });
    expect(crlf.code).toBe(0);
    await expect(new OperatorAccounts(repos).login('bob', 'bob password 12', null)).resolves.toMatchObject({ operator: { name: 'bob' } });
  });

  it('on a terminal asks for the password twice and shows none of it', async () => {
    const typed = 'terminal password 7';
    onTestFinished(async () => void (await repos.operators.remove('dora')));
    const { code, screen } = await runInTerminal(['operators', 'add', 'dora'], [
      ['Password: ', typed],
      ['Repeat it: ', typed],
    ]);
    expect(screen.replace(/\r/g, '')).toBe('Password: \nRepeat it: \noperator dora added\n');
    expect(code).toBe(0);
    await expect(new OperatorAccounts(repos).login('dora', typed, null)).resolves.toMatchObject({ operator: { name: 'dora' } });

    const differ = await runInTerminal(['operators', 'add', 'eve'], [
      ['Password: ', 'first password!'],
      ['Repeat it: ', 'second password'],
    ]);
    expect(differ.code).toBe(2);
    expect(differ.screen).toContain('the two passwords differ; nothing changed');
    expect(differ.screen).not.toContain('password!');
    expect(await repos.operators.byName('eve')).toBeNull();
  });

  it('refuses a taken name, a bad name and a short password with exit 2 and a clear message', async () => {
    const taken = await runLeads(['operators', 'add', 'alice'], env, { input: `${PASSWORD}\n` });
    expect(taken).toMatchObject({ code: 2, stdout: '' });
    expect(taken.stderr).toContain('leads: operator alice already exists');
    const bad = await runLeads(['operators', 'add', 'a_b c'], env, { input: `${PASSWORD}\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('operator name must be 2-40 letters');
    const short = await runLeads(['operators', 'add', 'carol'], env, { input: 'short\n' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('leads: password too short: at least 10 characters');
    expect(short.stderr).not.toContain('short\n');
    const none = await runLeads(['operators', 'add', 'carol'], env);
    expect(none.code).toBe(2);
    expect(await repos.operators.byName('carol')).toBeNull();
    const usage = await runLeads(['operators', 'add'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: leads operators add NAME');
  });

  it('lists operators as a table and as JSON, without hashes', async () => {
    const table = await runLeads(['operators', 'list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+CREATED\n/);
    expect(table.stdout).toMatch(/\nalice\s+\d{4}-\d\d-\d\d/);
    const json = await runLeads(['operators', 'list', '--json'], env);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => r['name'])).toEqual(['alice', 'bob']);
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(['createdAt', 'id', 'name']);
    expect(json.stdout).not.toContain('scrypt');
  });

  it('creates an API token printed once on stdout; it identifies the operator', async () => {
    const created = await runLeads(['operators', 'token', 'alice', '--label', 'grafana'], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^psb_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown once');
    expect(created.stderr).not.toContain(token);
    await expect(new OperatorAccounts(repos).operatorForToken(token)).resolves.toMatchObject({ name: 'alice' });
    const missing = await runLeads(['operators', 'token', 'nobody'], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no operator named nobody');
  });

  it('changes a password from stdin: the old sessions end, the new password signs in; unknown names exit 3', async () => {
    const session = await new OperatorAccounts(repos).login('alice', PASSWORD, null);
    const changed = await runLeads(['operators', 'password', 'alice'], env, { input: 'alice password 13\n' });
    expect(changed).toMatchObject({ code: 0, stdout: 'operator alice: password changed, signed out everywhere\n' });
    expect(await new OperatorAccounts(repos).sessionFor(session.sessionSecret)).toBeNull();
    expect((await new OperatorAccounts(repos).login('alice', 'alice password 13', null)).operator.name).toBe('alice');
    expect((await runLeads(['operators', 'password', 'nobody'], env, { input: 'a long password 14\n' })).code).toBe(3);
    expect((await runLeads(['operators', 'password', 'alice'], env, { input: 'short\n' })).code).toBe(2);
  });

  it('removes an operator with their sessions and tokens; unknown names exit 3', async () => {
    const session = await new OperatorAccounts(repos).login('bob', 'bob password 12', null);
    const removed = await runLeads(['operators', 'remove', 'BOB'], env);
    expect(removed).toMatchObject({ code: 0, stdout: 'operator bob removed, with their sessions and API tokens\n' });
    expect(await new OperatorAccounts(repos).sessionFor(session.sessionSecret)).toBeNull();
    const again = await runLeads(['operators', 'remove', 'bob'], env);
    expect(again.code).toBe(3);
    const list = await runLeads(['operators', 'list', '--json'], env);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((r) => r.name)).toEqual(['alice']);
    expect((await repos.audit.recent({ limit: 1 }))[0]).toMatchObject({ operator: 'CLI', action: 'operator.remove', detail: { name: 'bob' } });
  });

  it('prints its usage for an unknown subcommand, and the help lists the commands', async () => {
    const unknown = await runLeads(['operators', 'frob'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: leads operators add NAME | password NAME | list [--json] | remove NAME | token NAME [--label TEXT]');
    const help = await runLeads(['--help'], {});
    expect(help.stdout).toContain('operators add NAME');
    expect(help.stdout).toContain('failed resolve ID --note TEXT');
  });
});
