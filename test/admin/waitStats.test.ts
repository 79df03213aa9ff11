import { describe, expect, it } from 'vitest';
import { percentile, waitStats } from '../../src/admin/waitStats.js';

describe('percentile (nearest rank)', () => {
  it('is a measured value: the smallest with at least p% at or below it', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 5)).toBe(15);
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 40)).toBe(20);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
  });

  it('does not care about the input order and leaves the input alone', () => {
    const values = [40, 15, 50, 35, 20];
    expect(percentile(values, 50)).toBe(35);
    expect(values).toEqual([40, 15, 50, 35, 20]);
  });

  it('on 1..100 the pth percentile is p; one value is every percentile', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([percentile(values, 50), percentile(values, 90), percentile(values, 99)]).toEqual([50, 90, 99]);
    expect([percentile([7], 1), percentile([7], 50), percentile([7], 100)]).toEqual([7, 7, 7]);
  });

  it('null for no values; a p outside (0, 100] is a programming error', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('waitStats', () => {
  it('counts and summarizes, ignoring values that are not finite numbers', () => {
    expect(waitStats([300, 100, 200, Number.NaN, Number.POSITIVE_INFINITY])).toEqual({ count: 3, p50: 200, p90: 300, p99: 300 });
  });

  it('no waits: a count of 0 and null percentiles', () => {
    expect(waitStats([])).toEqual({ count: 0, p50: null, p90: null, p99: null });
  });
});
