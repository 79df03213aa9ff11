import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/security/tokenBucket.js';

describe('TokenBucket', () => {
  it('allows the burst at once, then the rate, and never more than the burst after a quiet spell', () => {
    let now = 0;
    const bucket = new TokenBucket(200, 400, () => now);
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(400);
    now += 100; // 100 ms at 200/s: 20 tokens
    taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(20);
    now += 60_000;
    taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(400);
  });

  it('keeps up with Twilio’s 50 frames a second indefinitely', () => {
    let now = 0;
    const bucket = new TokenBucket(200, 400, () => now);
    for (let frame = 0; frame < 50 * 600; frame++) {
      now += 20;
      expect(bucket.take()).toBe(true);
    }
  });
});
