import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

const errorOf = (env: Record<string, string>): string => {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('parsed');
};

describe('parseConfig', () => {
  it('has the NPA defaults: 10 s first timeout up to 60 s, 8 requests at once, a circuit after 5 failures for 10 s', () => {
    expect(parseConfig({})).toMatchObject({
      NPA_TIMEOUT_MS: 10_000,
      NPA_TIMEOUT_MAX_MS: 60_000,
      NPA_MAX_ATTEMPTS: 4,
      NPA_MAX_IN_FLIGHT: 8,
      NPA_BREAKER_FAILURES: 5,
      NPA_BREAKER_COOLDOWN_MS: 10_000,
    });
  });

  it('refuses a longest NPA timeout shorter than the first, naming both variables in one line', () => {
    expect(errorOf({ NPA_TIMEOUT_MS: '30000', NPA_TIMEOUT_MAX_MS: '20000' })).toBe(
      'Invalid configuration: NPA_TIMEOUT_MAX_MS: must be at least NPA_TIMEOUT_MS (30000)',
    );
  });
});
