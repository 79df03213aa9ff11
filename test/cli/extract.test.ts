import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runLeads } from '../support/runLeads.js';

// Sample calls committed with the extractor's tests, each with the lead it must produce.
const FIXTURES = fileURLToPath(new URL('../extraction/offline/fixtures/', import.meta.url));

describe('leads extract', { timeout: 120_000 }, () => {
  it('--offline prints {lead, complete, errors, missing} as JSON for sample calls', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).slice(0, 6);
    expect(files.length).toBeGreaterThan(0);
    await Promise.all(
      files.map(async (file) => {
        const path = join(FIXTURES, file);
        const expected = (JSON.parse(await readFile(path, 'utf8')) as { expected: { lead: unknown; complete: boolean } }).expected;
        const run = await runLeads(['extract', '--offline', path], {});
        expect(run, file).toMatchObject({ code: 0, stderr: '' });
        const output = JSON.parse(run.stdout) as Record<string, unknown>;
        expect(Object.keys(output)).toEqual(['lead', 'complete', 'errors', 'missing']);
        expect(output['lead'], file).toEqual(expected.lead);
        expect(output['complete'], file).toBe(expected.complete);
      }),
    );
  });

  it('without --offline and without OPENAI_API_KEY it says so on stderr and uses the offline extractor', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json'));
    const run = await runLeads(['extract', join(FIXTURES, files[0]!)], {});
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toBe('leads: OPENAI_API_KEY is not set; using the offline extractor');
    expect(JSON.parse(run.stdout)).toHaveProperty('lead');
  });
});
