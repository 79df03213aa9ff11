import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitState } from '../../src/npa/circuitBreaker.js';

/** A breaker on a clock the test moves: opens after 3 failures, waits 1 s, at most 4 s. */
function breaker(): { breaker: CircuitBreaker; advance: (ms: number) => void; changes: string[] } {
  let now = 1_000_000;
  const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, maxCooldownMs: 4_000, now: () => now });
  const changes: string[] = [];
  b.onChange((state, previous) => changes.push(`${previous.kind}->${state.kind}`));
  return { breaker: b, advance: (ms) => (now += ms), changes };
}

const kind = (state: CircuitState) => state.kind;

describe('CircuitBreaker', () => {
  it('closed: lets everything through and counts consecutive failures; an answer resets the count', () => {
    const { breaker: b } = breaker();
    expect(b.permits()).toBe(Number.POSITIVE_INFINITY);
    const t = b.admit()!;
    expect(t).toEqual({ probe: false });
    b.failed(t);
    b.failed(b.admit()!);
    expect(b.state).toEqual({ kind: 'closed', failures: 2 });
    b.answered(b.admit()!);
    expect(b.state).toEqual({ kind: 'closed', failures: 0 });
    b.failed(b.admit()!);
    b.failed(b.admit()!);
    expect(kind(b.state)).toBe('closed');
  });

  it('opens at the threshold and admits nothing until its wait is over', () => {
    const { breaker: b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failed(b.admit()!);
    expect(b.state).toEqual({ kind: 'open', retryAt: 1_001_000, cooldownMs: 1_000 });
    expect(b.permits()).toBe(0);
    expect(b.admit()).toBeNull();
    advance(999);
    expect(b.admit()).toBeNull();
    expect(b.retryAt()).toBe(1_001_000);
  });

  it('after the wait lets exactly one probe through; its answer closes the circuit and says so once', () => {
    const { breaker: b, advance, changes } = breaker();
    let closed = 0;
    b.onClosed(() => closed++);
    for (let i = 0; i < 3; i++) b.failed(b.admit()!);
    advance(1_000);
    expect(b.permits()).toBe(1);
    const probe = b.admit()!;
    expect(probe).toEqual({ probe: true });
    expect(b.state).toEqual({ kind: 'half-open', cooldownMs: 1_000 });
    expect(b.permits()).toBe(0);
    expect(b.admit()).toBeNull();
    b.answered(probe);
    expect(b.state).toEqual({ kind: 'closed', failures: 0 });
    expect(closed).toBe(1);
    expect(changes).toEqual(['closed->closed', 'closed->closed', 'closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a failed probe opens it again for twice as long, up to the maximum', () => {
    const { breaker: b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failed(b.admit()!);
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const state = b.state;
      if (state.kind !== 'open') throw new Error('not open');
      waits.push(state.cooldownMs);
      advance(state.cooldownMs);
      b.failed(b.admit()!);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 4_000]);
  });

  it('outcomes of requests sent before it opened change nothing while it is open or probing', () => {
    const { breaker: b, advance } = breaker();
    const early = [b.admit()!, b.admit()!, b.admit()!, b.admit()!];
    for (const t of early.slice(0, 3)) b.failed(t);
    const open = b.state;
    b.failed(early[3]!);
    expect(b.state).toEqual(open);
    advance(1_000);
    const probe = b.admit()!;
    b.failed(early[3]!);
    expect(kind(b.state)).toBe('half-open');
    b.answered(probe);
    expect(kind(b.state)).toBe('closed');
  });

  it('an answer to a request sent before it opened closes it too (the API answers again)', () => {
    const { breaker: b } = breaker();
    let closed = 0;
    b.onClosed(() => closed++);
    const late = b.admit()!;
    for (let i = 0; i < 3; i++) b.failed(b.admit()!);
    b.answered(late);
    expect(b.state).toEqual({ kind: 'closed', failures: 0 });
    expect(closed).toBe(1);
  });

  it('a probe whose caller gave up hands the probe to the next request at once', () => {
    const { breaker: b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failed(b.admit()!);
    advance(1_000);
    const probe = b.admit()!;
    b.abandoned(probe);
    expect(b.state).toEqual({ kind: 'open', retryAt: 1_001_000, cooldownMs: 1_000 });
    expect(b.admit()).toEqual({ probe: true });
    // A request that was not the probe gives nothing up.
    b.abandoned({ probe: false });
    expect(kind(b.state)).toBe('half-open');
  });

  it('unsubscribes', () => {
    const { breaker: b } = breaker();
    let calls = 0;
    const off = b.onChange(() => calls++);
    b.failed(b.admit()!);
    off();
    b.failed(b.admit()!);
    expect(calls).toBe(1);
  });
});
