import { describe, expect, it } from 'vitest';
import { cachedReading } from '../../src/http/cachedReading.js';

describe('cachedReading', () => {
  it('reads once per TTL, sharing a reading under way between concurrent scrapes', async () => {
    let clock = 0;
    let reads = 0;
    const read = cachedReading(async () => ++reads * 10, { ttlMs: 5_000, now: () => clock });
    expect(await Promise.all([read(), read(), read()])).toEqual([10, 10, 10]);
    clock = 4_999;
    expect(await read()).toBe(10);
    clock = 5_000;
    expect(await read()).toBe(20);
    expect(reads).toBe(2);
  });

  it('a failed reading is NaN, cached like a value, then read again', async () => {
    let clock = 0;
    let fail = true;
    let reads = 0;
    const read = cachedReading(
      async () => {
        reads++;
        if (fail) throw new Error('database down');
        return 3;
      },
      { ttlMs: 1_000, now: () => clock },
    );
    expect(await read()).toBeNaN();
    expect(await read()).toBeNaN();
    expect(reads).toBe(1);
    fail = false;
    clock = 1_000;
    expect(await read()).toBe(3);
  });

  it('a reading slower than the timeout is NaN', async () => {
    const read = cachedReading(() => new Promise<number>((resolve) => setTimeout(() => resolve(1), 500)), { timeoutMs: 20 });
    const startedAt = Date.now();
    expect(await read()).toBeNaN();
    expect(Date.now() - startedAt).toBeLessThan(400);
  });
});
