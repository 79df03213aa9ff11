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

  it('has recovery defaults that take a dead instance over within 30 s: 5 s heartbeat, 15 s grace, 5 s sweep, 15 s lease', () => {
    expect(parseConfig({})).toMatchObject({ HEARTBEAT_MS: 5_000, RECOVERY_GRACE_MS: 15_000, RECOVERY_SWEEP_MS: 5_000, OUTBOX_LEASE_MS: 15_000 });
    expect(parseConfig({}).INSTANCE_ID).toBeUndefined();
    expect(parseConfig({ INSTANCE_ID: '' }).INSTANCE_ID).toBeUndefined();
    expect(parseConfig({ INSTANCE_ID: 'lead-line-1.eu' }).INSTANCE_ID).toBe('lead-line-1.eu');
  });

  it('refuses a recovery grace shorter than two heartbeats, naming both variables in one line', () => {
    expect(errorOf({ HEARTBEAT_MS: '10000', RECOVERY_GRACE_MS: '15000' })).toBe(
      'Invalid configuration: RECOVERY_GRACE_MS: must be at least 2 x HEARTBEAT_MS (20000)',
    );
    expect(parseConfig({ HEARTBEAT_MS: '10000', RECOVERY_GRACE_MS: '20000' }).RECOVERY_GRACE_MS).toBe(20_000);
  });

  it('refuses an INSTANCE_ID that could not name a claim (a colon separates it from the claim in locked_by)', () => {
    expect(errorOf({ INSTANCE_ID: 'a:b' })).toMatch(/^Invalid configuration: INSTANCE_ID: /);
  });

  it('reads METRICS_TOKEN as optional: unset or blank leaves /metrics open', () => {
    expect(parseConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(parseConfig({ METRICS_TOKEN: '  ' }).METRICS_TOKEN).toBeUndefined();
    expect(parseConfig({ METRICS_TOKEN: ' scrape-secret ' }).METRICS_TOKEN).toBe('scrape-secret');
    expect(errorOf({ METRICS_TOKEN: 'two words' })).toMatch(/^Invalid configuration: METRICS_TOKEN: must not contain whitespace/);
  });

  it('refuses a blank number instead of reading it as 0: PORT= would listen on a random port', () => {
    expect(errorOf({ PORT: '' })).toBe('Invalid configuration: PORT: is empty (unset it for the default)');
    expect(errorOf({ PORT: '  ' })).toBe('Invalid configuration: PORT: is empty (unset it for the default)');
    expect(errorOf({ LEAD_MEMORY_QUEUE_MAX: '' })).toBe('Invalid configuration: LEAD_MEMORY_QUEUE_MAX: is empty (unset it for the default)');
    expect(errorOf({ DRAIN_TIMEOUT_MS: '' })).toBe('Invalid configuration: DRAIN_TIMEOUT_MS: is empty (unset it for the default)');
    // 0 is a port: the tests' and the demo's "pick a free one".
    expect(parseConfig({ PORT: '0' }).PORT).toBe(0);
    expect(parseConfig({}).PORT).toBe(8080);
    expect(parseConfig({ PORT: '8081', LEAD_MEMORY_QUEUE_MAX: '0' })).toMatchObject({ PORT: 8081, LEAD_MEMORY_QUEUE_MAX: 0 });
    expect(errorOf({ PORT: '65536' })).toMatch(/^Invalid configuration: PORT: /);
    expect(errorOf({ PORT: '80.5' })).toMatch(/^Invalid configuration: PORT: /);
  });

  it('refuses TWILIO_AUTH_TOKEN without PUBLIC_URL: every signed Twilio request would be refused', () => {
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token' })).toBe(
      'Invalid configuration: PUBLIC_URL: must be set with TWILIO_AUTH_TOKEN (Twilio signs the public URL)',
    );
    expect(parseConfig({ TWILIO_AUTH_TOKEN: 'token', PUBLIC_URL: 'https://voice.psb.example' }).PUBLIC_URL).toBe('https://voice.psb.example');
    // Development: no token, no PUBLIC_URL (the Host header stands in, unsigned).
    expect(parseConfig({}).PUBLIC_URL).toBeUndefined();
  });

  it('refuses an http PUBLIC_URL for a host that is not loopback: the media stream URL would be ws://', () => {
    const refused = 'Invalid configuration: PUBLIC_URL: must be https:// for a host that is not loopback (the media stream would be ws://)';
    for (const url of ['http://voice.psb.example', 'http://10.0.0.5:8080', 'http://localhost.example.com', 'http://[::2]:8080']) {
      expect(errorOf({ PUBLIC_URL: url })).toBe(refused);
    }
    expect(errorOf({ PUBLIC_URL: 'http://voice.psb.example', TWILIO_AUTH_TOKEN: 'token' })).toBe(refused);
    for (const url of ['http://localhost:8080', 'http://127.0.0.1:8080', 'http://127.1.2.3', 'http://[::1]:8080', 'http://lab.localhost', 'https://voice.psb.example']) {
      expect(parseConfig({ PUBLIC_URL: url }).PUBLIC_URL).toBe(url);
    }
  });

  it('reads a blank optional URL as unset, as .env files and compose write it', () => {
    const config = parseConfig({ PUBLIC_URL: '', DATABASE_URL: '', NPA_API_URL: '', RECORDINGS_S3_ENDPOINT: '' });
    expect(config).toMatchObject({ PUBLIC_URL: undefined, DATABASE_URL: undefined, NPA_API_URL: undefined, RECORDINGS_S3_ENDPOINT: undefined });
    expect(errorOf({ NPA_API_URL: 'not a url' })).toMatch(/^Invalid configuration: NPA_API_URL: /);
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', PUBLIC_URL: '' })).toMatch(/^Invalid configuration: PUBLIC_URL: must be set with TWILIO_AUTH_TOKEN/);
  });
});
