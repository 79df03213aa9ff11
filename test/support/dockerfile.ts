import { readFileSync } from 'node:fs';

/** The repository's Dockerfile, continuation lines joined: what tests check the image's commands against. */
export function dockerfileLines(): string[] {
  const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The exec-form argv of the image's CMD, or of its HEALTHCHECK's CMD (the last of each, as Docker takes it). */
export function dockerfileCommand(instruction: 'CMD' | 'HEALTHCHECK'): string[] {
  const line = dockerfileLines().filter((l) => l.startsWith(`${instruction} `)).at(-1);
  if (line === undefined) throw new Error(`Dockerfile: no ${instruction}`);
  const json = instruction === 'CMD' ? line.slice(4) : line.slice(line.indexOf(' CMD ') + 5);
  const argv: unknown = JSON.parse(json);
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new Error(`Dockerfile: ${instruction} is not exec form`);
  return argv;
}
