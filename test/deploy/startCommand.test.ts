// The production start is written in three places that must agree: the Dockerfile's CMD, package.json's
// start:prod and the README. Node runs it, never npm or a shell: only then does SIGTERM reach the server.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { dockerfileCommand, dockerfileLines } from '../support/dockerfile.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

describe('the production start', () => {
  it('is node on the build with .env: the Dockerfile CMD and `npm run start:prod` name the same command', () => {
    const cmd = dockerfileCommand('CMD');
    expect(cmd).toEqual(['node', '--env-file-if-exists=.env', 'dist/src/main.js']);
    // exec: npm's child is node itself, not an sh that would die on SIGTERM and orphan the server.
    expect(pkg.scripts['start:prod']).toBe(`exec ${cmd.join(' ')}`);
    expect(pkg.scripts['build']).toBe('tsc -p tsconfig.build.json');
  });

  it('the development start also execs node and reads the same .env', () => {
    expect(pkg.scripts['start']).toBe('exec node --env-file-if-exists=.env --import tsx src/main.ts');
  });

  it('the image runs Node 20 as the unprivileged node user and checks /readyz with node and the same .env', () => {
    const lines = dockerfileLines();
    const stages = lines.filter((l) => l.startsWith('FROM '));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:20-bookworm-slim\b/);
    expect(lines.filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(dockerfileCommand('HEALTHCHECK')).toEqual(['node', '--env-file-if-exists=.env', 'bin/healthcheck.js']);
    expect(readFileSync(new URL('../../bin/healthcheck.js', import.meta.url), 'utf8')).toContain('/readyz');
    // A .env of comments in the image: Node 20 prints a notice on stderr at each start when the file is missing.
    expect(lines.some((l) => l.startsWith('RUN ') && l.includes('> /app/.env'))).toBe(true);
  });

  it('the health check asks the port the server listens on by default', () => {
    const healthcheck = readFileSync(new URL('../../bin/healthcheck.js', import.meta.url), 'utf8');
    expect(healthcheck).toContain(`process.env.PORT?.trim() || '${parseConfig({}).PORT}'`);
    expect(healthcheck).toContain(`process.env.HOST?.trim() || '${parseConfig({}).HOST}'`);
  });

  it('keeps .env (secrets) and local state out of the Docker build context', () => {
    const ignored = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8').split('\n');
    for (const entry of ['.env', 'node_modules', 'dist', 'data']) expect(ignored).toContain(entry);
  });
});
