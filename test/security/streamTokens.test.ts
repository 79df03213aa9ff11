import { describe, expect, it } from 'vitest';
import { StreamTokens } from '../../src/security/streamTokens.js';

describe('StreamTokens', () => {
  it('issues one unguessable token per call, the same one while unused', () => {
    const tokens = new StreamTokens(1_000);
    const a = tokens.issue('CA1');
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(tokens.issue('CA1')).toBe(a);
    expect(tokens.issue('CA2')).not.toBe(a);
  });

  it('accepts the token once, for its own call only', () => {
    const tokens = new StreamTokens(1_000);
    const a = tokens.issue('CA1');
    const b = tokens.issue('CA2');
    expect(tokens.consume('CA1', b)).toBe(false);
    expect(tokens.consume('CA1', undefined)).toBe(false);
    expect(tokens.consume('CA1', `${a}x`)).toBe(false);
    expect(tokens.consume('CA3', a)).toBe(false);
    expect(tokens.consume('CA1', a)).toBe(true);
    expect(tokens.consume('CA1', a)).toBe(false);
  });

  it('expires unused tokens and forgets them', () => {
    let now = 0;
    const tokens = new StreamTokens(1_000, () => now);
    const a = tokens.issue('CA1');
    now = 1_001;
    expect(tokens.consume('CA1', a)).toBe(false);
    tokens.issue('CA2');
    expect(tokens.size).toBe(1);
  });
});
