import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/http/metricsRoute.js';

describe('bearerMatches', () => {
  it('takes exactly the token as a bearer credential', () => {
    expect(bearerMatches('Bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(bearerMatches('bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(bearerMatches('Bearer  s3cret-token ', 's3cret-token')).toBe(true);
  });

  it('refuses anything else', () => {
    for (const header of ['', 'Bearer', 'Bearer ', 'Bearer s3cret', 'Bearer s3cret-token2', 'Basic s3cret-token', 's3cret-token', 'Bearer s3cret token']) {
      expect(bearerMatches(header, 's3cret-token'), header).toBe(false);
    }
  });
});
