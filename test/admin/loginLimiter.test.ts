import { describe, expect, it } from 'vitest';
import { ACCOUNT_FAILURES_MAX, ADDRESS_FAILURES_MAX, LOGIN_WINDOW_MS, LoginLimiter } from '../../src/admin/loginLimiter.js';

function limiter(options: ConstructorParameters<typeof LoginLimiter>[0] = {}): { limiter: LoginLimiter; advance(ms: number): void } {
  let now = 1_000_000;
  return { limiter: new LoginLimiter({ ...options, now: () => now }), advance: (ms) => void (now += ms) };
}

describe('LoginLimiter', () => {
  it('allows 5 failures per account in 15 minutes, then says how long to wait', () => {
    const { limiter: l, advance } = limiter();
    expect(ACCOUNT_FAILURES_MAX).toBe(5);
    expect(LOGIN_WINDOW_MS).toBe(15 * 60_000);
    for (let i = 0; i < 5; i++) {
      expect(l.check('alice', '10.0.0.1')).toEqual({ allowed: true, retryAfterMs: 0 });
      l.recordFailure('alice', '10.0.0.1');
      advance(60_000);
    }
    // First failure at t0, now t0 + 5 min: it leaves the window in 10 min.
    expect(l.check('alice', '10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 10 * 60_000 });
    // The account is refused from any address; another account from the same address is not.
    expect(l.check('alice', '10.9.9.9').allowed).toBe(false);
    expect(l.check('ALICE', null).allowed).toBe(false);
    expect(l.check('bob', '10.0.0.1').allowed).toBe(true);
    advance(10 * 60_000 - 1);
    expect(l.check('alice', null)).toEqual({ allowed: false, retryAfterMs: 1 });
    advance(1);
    // The window slides: one failure has left it, so one more attempt is allowed.
    expect(l.check('alice', null)).toEqual({ allowed: true, retryAfterMs: 0 });
    l.recordFailure('alice', null);
    expect(l.check('alice', null).allowed).toBe(false);
  });

  it('a success clears the account, not the address', () => {
    const { limiter: l } = limiter({ addressFailuresMax: 6 });
    for (let i = 0; i < 5; i++) l.recordFailure('alice', '10.0.0.1');
    expect(l.check('alice', null).allowed).toBe(false);
    l.recordSuccess('Alice');
    expect(l.check('alice', null).allowed).toBe(true);
    l.recordFailure('carol', '10.0.0.1');
    expect(l.check('dave', '10.0.0.1').allowed).toBe(false);
  });

  it('allows 20 failures per address across accounts (a spray of names)', () => {
    const { limiter: l, advance } = limiter();
    expect(ADDRESS_FAILURES_MAX).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(l.check(`user${i}`, '192.0.2.7').allowed).toBe(true);
      l.recordFailure(`user${i}`, '192.0.2.7');
    }
    const refused = l.check('someone-new', '192.0.2.7');
    expect(refused).toEqual({ allowed: false, retryAfterMs: LOGIN_WINDOW_MS });
    expect(l.check('someone-new', '192.0.2.8').allowed).toBe(true);
    advance(LOGIN_WINDOW_MS);
    expect(l.check('someone-new', '192.0.2.7').allowed).toBe(true);
  });

  it('attempt counts at once, so concurrent attempts cannot all pass; succeeded gives the address its attempt back', () => {
    const { limiter: l } = limiter({ addressFailuresMax: 6 });
    const verdicts = Array.from({ length: 8 }, () => l.attempt('alice', '10.0.0.1'));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, true, true, false, false, false]);

    const { limiter: m } = limiter({ addressFailuresMax: 2 });
    expect(m.attempt('bob', '10.0.0.2').allowed).toBe(true);
    m.succeeded('bob', '10.0.0.2');
    expect(m.attempt('carol', '10.0.0.2').allowed).toBe(true);
    expect(m.attempt('carol', '10.0.0.2').allowed).toBe(true);
    expect(m.attempt('dave', '10.0.0.2').allowed).toBe(false);
  });

  it('forgets the least recently failed keys beyond maxKeys', () => {
    const { limiter: l } = limiter({ accountFailuresMax: 1, maxKeys: 3 });
    for (const name of ['a1', 'a2', 'a3', 'a4']) l.recordFailure(name, null);
    expect(l.check('a1', null).allowed).toBe(true);
    expect(l.check('a2', null).allowed).toBe(false);
    expect(l.check('a4', null).allowed).toBe(false);
  });
});
