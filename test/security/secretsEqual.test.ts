import { describe, expect, it } from 'vitest';
import { secretsEqual } from '../../src/security/secretsEqual.js';

describe('secretsEqual', () => {
  it('is true only for the same secret, whatever the lengths', () => {
    expect(secretsEqual('csrf-token-1', 'csrf-token-1')).toBe(true);
    expect(secretsEqual('csrf-token-2', 'csrf-token-1')).toBe(false);
    expect(secretsEqual('', 'csrf-token-1')).toBe(false);
    expect(secretsEqual('csrf-token-1x', 'csrf-token-1')).toBe(false);
  });
});
