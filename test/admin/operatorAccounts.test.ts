import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../src/admin/loginLimiter.js';
import {
  LoginRefusedError,
  LoginThrottledError,
  OperatorAccounts,
  SESSION_LIFETIME_MS,
} from '../../src/admin/operatorAccounts.js';
import { PasswordPolicyError } from '../../src/admin/passwords.js';
import { OperatorSessionSchema, OperatorTokenSchema } from '../../src/db/entities/index.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { BadInputError, NotFoundError, httpStatusOf } from '../../src/errors.js';
import { secretDigest } from '../../src/security/secretDigest.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

let t: TestDatabase;
let repos: Repositories;
let clock: Date;
let accounts: OperatorAccounts;

beforeAll(async () => {
  t = await createTestDatabase();
  repos = createRepositories(t.db);
  clock = new Date('2026-12-05T09:00:00Z');
  accounts = new OperatorAccounts(repos, { now: () => clock });
});
afterAll(async () => {
  await t?.close();
});

const failure = (work: Promise<unknown>): Promise<unknown> => work.then(() => new Error('expected a failure'), (error: unknown) => error);

describe('OperatorAccounts', () => {
  it('adds operators with lowercased names, refuses bad and taken names and weak passwords, lists them', async () => {
    const alice = await accounts.addOperator('Alice', 'alice password 1');
    expect(alice).toMatchObject({ name: 'alice' });
    expect(alice).not.toHaveProperty('passwordHash');
    const stored = await repos.operators.byName('alice');
    expect(stored?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);

    expect(await failure(accounts.addOperator('ALICE', 'another password'))).toMatchObject({ name: 'BadInputError', message: 'operator alice already exists' });
    for (const bad of ['a', '-alice', 'al ice', 'x'.repeat(41), 'alice\n', '', 'bob@example']) {
      expect(await failure(accounts.addOperator(bad, 'long enough pw'))).toBeInstanceOf(BadInputError);
    }
    const weak = await failure(accounts.addOperator('bob', 'short'));
    expect(weak).toBeInstanceOf(PasswordPolicyError);
    expect(await repos.operators.byName('bob')).toBeNull();

    await accounts.addOperator('j.smith-2', 'j smith password');
    expect((await accounts.listOperators()).map((o) => o.name)).toEqual(['alice', 'j.smith-2']);
    const audit = await repos.audit.recent({ limit: 10 });
    expect(audit.filter((a) => a.action === 'operator.add').map((a) => [a.operator, a.detail])).toEqual([
      ['CLI', { name: 'j.smith-2' }],
      ['CLI', { name: 'alice' }],
    ]);
  });

  it('logs in: a session whose secret is stored only as a digest, with a CSRF token and a 12 h lifetime', async () => {
    const result = await accounts.login('ALICE', 'alice password 1', '203.0.113.5');
    expect(result.operator.name).toBe('alice');
    expect(result.sessionSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.csrfToken).not.toBe(result.sessionSecret);
    expect(result.expiresAt.getTime()).toBe(clock.getTime() + SESSION_LIFETIME_MS);

    const rows = await t.db.em().find(OperatorSessionSchema, {});
    const row = rows.find((r) => r.id === secretDigest(result.sessionSecret));
    expect(row).toMatchObject({ csrfToken: result.csrfToken, ip: '203.0.113.5' });
    expect(rows.some((r) => r.id === result.sessionSecret)).toBe(false);

    const session = await accounts.sessionFor(result.sessionSecret);
    expect(session).toEqual({ operator: result.operator, csrfToken: result.csrfToken, expiresAt: result.expiresAt });
    expect(await accounts.sessionFor(`${result.sessionSecret}x`)).toBeNull();
    expect(await accounts.sessionFor('')).toBeNull();
    expect(await accounts.sessionFor('x'.repeat(10_000))).toBeNull();
    expect((await repos.audit.recent({ limit: 1 }))[0]).toMatchObject({ operator: 'alice', action: 'operator.login', leadId: null });
  });

  it('refuses an unknown name and a wrong password with the same typed error and message', async () => {
    const wrong = await failure(accounts.login('alice', 'not the password', null));
    const unknown = await failure(accounts.login('mallory', 'alice password 1', null));
    const invalid = await failure(accounts.login('not a name!', 'alice password 1', null));
    for (const error of [wrong, unknown, invalid]) {
      expect(error).toBeInstanceOf(LoginRefusedError);
      expect((error as Error).message).toBe('wrong name or password');
      expect(httpStatusOf(error)).toBe(401);
    }
  });

  it('spends the scrypt time on an unknown name too', async () => {
    const time = async (name: string): Promise<number> => {
      const started = performance.now();
      await failure(accounts.login(name, 'not the password', null));
      return performance.now() - started;
    };
    await time('mallory');
    const unknown = Math.min(await time('mallory'), await time('nobody-here'));
    const known = Math.min(await time('alice'), await time('alice'));
    // scrypt at N=2^15 takes tens of ms; a lookup alone takes a few. Within a factor, not equal: machines are noisy.
    expect(unknown).toBeGreaterThan(known / 3);
  });

  it('expires sessions after their lifetime and deletes them; logout ends one and is audited', async () => {
    const first = await accounts.login('alice', 'alice password 1', null);
    clock = new Date(clock.getTime() + SESSION_LIFETIME_MS - 1);
    expect(await accounts.sessionFor(first.sessionSecret)).not.toBeNull();
    clock = new Date(clock.getTime() + 1);
    expect(await accounts.sessionFor(first.sessionSecret)).toBeNull();
    expect(await repos.operators.findSessionBySecret(first.sessionSecret)).toBeNull();

    const second = await accounts.login('alice', 'alice password 1', null);
    expect(await accounts.logout(second.sessionSecret)).toBe(true);
    expect(await accounts.logout(second.sessionSecret)).toBe(false);
    expect(await accounts.sessionFor(second.sessionSecret)).toBeNull();
    expect((await repos.audit.recent({ limit: 1 }))[0]).toMatchObject({ operator: 'alice', action: 'operator.logout' });
  });

  it('changes a password: the old one stops working, every session ends, tokens stay; audited without it', async () => {
    await accounts.addOperator('petra', 'petra password 1');
    const token = await accounts.createApiToken('petra');
    const one = await accounts.login('petra', 'petra password 1', null);
    const two = await accounts.login('Petra', 'petra password 1', null);
    await expect(accounts.changePassword('petra', 'short')).rejects.toBeInstanceOf(PasswordPolicyError);
    expect(await accounts.sessionFor(one.sessionSecret)).not.toBeNull();

    await accounts.changePassword('PETRA', 'petra password 2', 'ops-lead');
    expect(await accounts.sessionFor(one.sessionSecret)).toBeNull();
    expect(await accounts.sessionFor(two.sessionSecret)).toBeNull();
    expect(await failure(accounts.login('petra', 'petra password 1', null))).toBeInstanceOf(LoginRefusedError);
    expect((await accounts.login('petra', 'petra password 2', null)).operator.name).toBe('petra');
    expect((await accounts.operatorForToken(token))?.name).toBe('petra');
    const entry = (await repos.audit.recent({ limit: 10 })).find((a) => a.action === 'operator.password');
    expect(entry).toMatchObject({ operator: 'ops-lead', detail: { name: 'petra' } });
    expect(JSON.stringify(entry)).not.toContain('petra password');
    expect(await failure(accounts.changePassword('nobody-here', 'a long password 3'))).toBeInstanceOf(NotFoundError);
    await accounts.removeOperator('petra');
  });

  it('a login clears out everyone\'s expired sessions', async () => {
    const old = await accounts.login('j.smith-2', 'j smith password', null);
    clock = new Date(clock.getTime() + SESSION_LIFETIME_MS);
    await accounts.login('alice', 'alice password 1', null);
    expect(await repos.operators.findSessionBySecret(old.sessionSecret)).toBeNull();
  });

  it('slides a session with an idle timeout, never past the absolute lifetime, touching at most once a minute', async () => {
    const idle = new OperatorAccounts(repos, { now: () => clock, sessionIdleMs: 30 * 60_000, sessionLifetimeMs: 60 * 60_000 });
    const start = clock.getTime();
    const login = await idle.login('alice', 'alice password 1', null);
    expect(login.expiresAt.getTime()).toBe(start + 30 * 60_000);
    clock = new Date(start + 20 * 60_000);
    expect((await idle.sessionFor(login.sessionSecret))?.expiresAt.getTime()).toBe(start + 50 * 60_000);
    clock = new Date(start + 20 * 60_000 + 30_000);
    // Within a minute of the last touch: not written again.
    expect((await idle.sessionFor(login.sessionSecret))?.expiresAt.getTime()).toBe(start + 50 * 60_000);
    clock = new Date(start + 45 * 60_000);
    expect((await idle.sessionFor(login.sessionSecret))?.expiresAt.getTime()).toBe(start + 60 * 60_000);
    clock = new Date(start + 60 * 60_000);
    expect(await idle.sessionFor(login.sessionSecret)).toBeNull();
  });

  it('rate-limits failed logins per account through the limiter; a success resets the count', async () => {
    const limited = new OperatorAccounts(repos, { now: () => clock, limiter: new LoginLimiter({ now: () => clock.getTime() }) });
    for (let i = 0; i < 4; i++) await failure(limited.login('alice', 'wrong password!', '198.51.100.1'));
    await limited.login('alice', 'alice password 1', '198.51.100.1');
    for (let i = 0; i < 5; i++) expect(await failure(limited.login('alice', 'wrong password!', '198.51.100.2'))).toBeInstanceOf(LoginRefusedError);
    const throttled = await failure(limited.login('alice', 'alice password 1', '198.51.100.3'));
    expect(throttled).toBeInstanceOf(LoginThrottledError);
    expect(httpStatusOf(throttled)).toBe(429);
    expect((throttled as LoginThrottledError).retryAfterMs).toBe(15 * 60_000);
    // An unknown name is counted the same way, so the limiter does not tell which names exist.
    for (let i = 0; i < 5; i++) await failure(limited.login('ghost', 'wrong password!', '198.51.100.4'));
    expect(await failure(limited.login('ghost', 'wrong password!', '198.51.100.4'))).toBeInstanceOf(LoginThrottledError);
  });

  it('counts parallel guesses before checking them: at most 5 of 12 are even tried', async () => {
    await accounts.addOperator('frank', 'frank password 1');
    const limited = new OperatorAccounts(repos, { now: () => clock, limiter: new LoginLimiter({ now: () => clock.getTime() }) });
    const errors = await Promise.all(Array.from({ length: 12 }, () => failure(limited.login('frank', 'wrong password!', '198.51.100.9'))));
    expect(errors.filter((e) => e instanceof LoginRefusedError)).toHaveLength(5);
    expect(errors.filter((e) => e instanceof LoginThrottledError)).toHaveLength(7);
    await accounts.removeOperator('frank');
  });

  it('creates API tokens shown once and stored as digests; finds the operator by token and notes its use', async () => {
    const token = await accounts.createApiToken('alice', 'grafana');
    expect(token).toMatch(/^psb_[A-Za-z0-9_-]{43}$/);
    const rows = await t.db.em().find(OperatorTokenSchema, {});
    expect(rows.map((r) => r.tokenHash)).toContain(secretDigest(token));
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(await accounts.operatorForToken(token)).toMatchObject({ name: 'alice' });
    const alice = await repos.operators.byName('alice');
    const [record] = await repos.operators.tokensOf(alice?.id ?? '');
    expect(record).toMatchObject({ label: 'grafana', lastUsedAt: clock });
    expect(await accounts.operatorForToken(token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).toBeNull();
    expect(await accounts.operatorForToken(token.slice(4))).toBeNull();
    expect(await accounts.operatorForToken('')).toBeNull();

    expect(await failure(accounts.createApiToken('nobody', undefined))).toBeInstanceOf(NotFoundError);
    expect(await failure(accounts.createApiToken('alice', 'bad\u001b[31mlabel'))).toBeInstanceOf(BadInputError);
    const unlabelled = await accounts.createApiToken('alice');
    expect((await repos.operators.tokensOf(alice?.id ?? '')).map((r) => r.label)).toEqual(['grafana', null]);
    expect((await repos.audit.recent({ limit: 1 }))[0]).toMatchObject({ action: 'operator.token', detail: { name: 'alice', label: null } });
    expect(JSON.stringify(await repos.audit.recent({ limit: 50 }))).not.toContain(unlabelled);
  });

  it('removes an operator with their sessions and tokens; the audit log keeps their name', async () => {
    const login = await accounts.login('alice', 'alice password 1', null);
    const token = await accounts.createApiToken('alice', 'to be removed');
    await accounts.removeOperator('ALICE');
    expect(await accounts.sessionFor(login.sessionSecret)).toBeNull();
    expect(await accounts.operatorForToken(token)).toBeNull();
    expect(await repos.operators.findSessionBySecret(login.sessionSecret)).toBeNull();
    expect((await accounts.listOperators()).map((o) => o.name)).toEqual(['j.smith-2']);
    expect(await failure(accounts.login('alice', 'alice password 1', null))).toBeInstanceOf(LoginRefusedError);
    expect(await failure(accounts.removeOperator('alice'))).toBeInstanceOf(NotFoundError);
    expect(await failure(accounts.removeOperator('not a name!'))).toBeInstanceOf(NotFoundError);

    const entries = await repos.audit.recent({ limit: 100 });
    expect(entries.filter((e) => e.operator === 'alice').map((e) => e.action)).toContain('operator.login');
    expect(entries[0]).toMatchObject({ operator: 'CLI', action: 'operator.remove', detail: { name: 'alice' } });
    // No password, hash or secret anywhere in the log.
    expect(JSON.stringify(entries)).not.toMatch(/password 1|scrypt\$/);
  });
});
