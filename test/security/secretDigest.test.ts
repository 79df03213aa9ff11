import { describe, expect, it } from 'vitest';
import { secretDigest } from '../../src/security/secretDigest.js';

describe('secretDigest', () => {
  it('is the SHA-256 of the secret in lowercase hex', () => {
    expect(secretDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(secretDigest('psb_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(secretDigest('a')).not.toBe(secretDigest('b'));
  });
});
