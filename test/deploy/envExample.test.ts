// .env.example lists every variable of the configuration with its default, so the two never drift apart.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, parseConfig } from '../../src/config.js';

const EXAMPLE = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
/** Read by compose.yaml, not by the service. */
const COMPOSE_ONLY = ['POSTGRES_PASSWORD'];

/** The example as Node's --env-file reads it once every `# KEY=value` line is uncommented. */
const uncommented = (): Record<string, string | undefined> => parseEnv(EXAMPLE.replace(/^# (?=[A-Z][A-Z0-9_]*=)/gm, ''));
const keyLines = (): string[] => [...EXAMPLE.matchAll(/^# ([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

describe('.env.example', () => {
  it('names every configuration variable once, and nothing else but compose.yaml\'s password', () => {
    const keys = keyLines();
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual([...Object.keys(ConfigSchema.shape), ...COMPOSE_ONLY].sort());
  });

  it('shows the defaults: uncommented as it stands, it configures exactly what an empty environment does', () => {
    const env = uncommented();
    for (const key of COMPOSE_ONLY) delete env[key];
    expect(parseConfig(env)).toEqual(parseConfig({}));
  });

  it('is all comments: a copy changes nothing until a line is uncommented', () => {
    expect(parseEnv(EXAMPLE)).toEqual({});
  });

  it('compose.yaml reads the compose-only variables', () => {
    const compose = readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8');
    for (const key of COMPOSE_ONLY) expect(compose).toContain(`\${${key}:?`);
  });
});
