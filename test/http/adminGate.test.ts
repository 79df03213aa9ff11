import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorAccounts } from '../../src/admin/operatorAccounts.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { AdminGate, cookieValue, csrfMatches, sameHost } from '../../src/http/adminGate.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const PASSWORD = 'gate test password';

describe('AdminGate over the real operator accounts', () => {
  let database: TestDatabase;
  let repos: Repositories;
  let accounts: OperatorAccounts;
  let now = 1_000_000;
  const gateWith = (envToken?: string) =>
    new AdminGate(
      {
        sessionFor: (secret) => accounts.sessionFor(secret),
        operatorForToken: (token) => accounts.operatorForToken(token),
        count: async () => (await accounts.listOperators()).length,
      },
      envToken,
      () => now,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    repos = createRepositories(database.db);
    accounts = new OperatorAccounts(repos);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('is off with no operator and no ADMIN_TOKEN, on with ADMIN_TOKEN, and on within a second of the first operator', async () => {
    const gate = gateWith();
    expect(await gate.enabled()).toBe(false);
    expect(await gateWith('an-env-token-0123456789').enabled()).toBe(true);
    await accounts.addOperator('gina', PASSWORD);
    // Counted at most once a second: still off from the cached count, then on.
    expect(await gate.enabled()).toBe(false);
    now += 1_000;
    expect(await gate.enabled()).toBe(true);
  });

  it('knows a session cookie, an operator token and ADMIN_TOKEN, and nothing else', async () => {
    const gate = gateWith('an-env-token-0123456789');
    const session = await accounts.login('gina', PASSWORD, '127.0.0.1');
    expect(await gate.authenticate({ cookie: `theme=dark; psb_session=${session.sessionSecret}`, authorization: '' })).toEqual({
      name: 'gina',
      kind: 'session',
      csrfToken: session.csrfToken,
    });
    const token = await accounts.createApiToken('gina');
    expect(await gate.authenticate({ cookie: '', authorization: `Bearer ${token}` })).toEqual({ name: 'gina', kind: 'token', csrfToken: null });
    expect(await gate.authenticate({ cookie: '', authorization: 'Bearer an-env-token-0123456789' })).toEqual({ name: 'ADMIN_TOKEN', kind: 'env', csrfToken: null });
    // A bearer header that is wrong is not rescued by a valid cookie beside it.
    expect(await gate.authenticate({ cookie: `psb_session=${session.sessionSecret}`, authorization: 'Bearer wrong-token-wrong-token' })).toBeNull();
    expect(await gate.authenticate({ cookie: 'psb_session=', authorization: '' })).toBeNull();
    expect(await gate.authenticate({ cookie: 'psb_session=made-up', authorization: '' })).toBeNull();
    await accounts.logout(session.sessionSecret);
    expect(await gate.authenticate({ cookie: `psb_session=${session.sessionSecret}`, authorization: '' })).toBeNull();
  });
});

describe('the gate\'s helpers', () => {
  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; psb_session=abc; b=2', 'psb_session')).toBe('abc');
    expect(cookieValue('xpsb_session=abc', 'psb_session')).toBeUndefined();
    expect(cookieValue('', 'psb_session')).toBeUndefined();
  });

  it('compares CSRF tokens: never an empty one', () => {
    expect(csrfMatches('token-1', 'token-1')).toBe(true);
    expect(csrfMatches('token-1', 'token-2')).toBe(false);
    expect(csrfMatches('', '')).toBe(false);
  });

  it('takes an Origin for this host only', () => {
    expect(sameHost('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(sameHost('http://127.0.0.1:8081', '127.0.0.1:8080')).toBe(false);
    expect(sameHost('https://evil.example', '127.0.0.1:8080')).toBe(false);
    expect(sameHost('null', '127.0.0.1:8080')).toBe(false);
  });
});
