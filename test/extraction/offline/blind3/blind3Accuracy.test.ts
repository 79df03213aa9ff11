// Blind set 3: written 2026-12-01 without reading the extractor (45 calls).
// Blind figure (first run, 2026-12-01, commit 50e6eda, after the fixes trained on blind set 2): 265/270 fields = 98.1%
// (full_name 42/45, phone 44/45, vehicle_year 44/45; the rest 45/45). Misses left as measured: blind3-03 "van Dyke"
// (the caller said capital V; the rule says particles lowercase), 08 phone null (an American Samoa caller ID),
// 17 "A-Anne-Marie", 24 "Hoffman" (caller said "two n's"), 29 a year the caller did not know read as 2018.
// Fixing any of them makes this a training figure: write a fresh blind set for the next honest one.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationSchema, LeadSchema, LEAD_FIELDS } from '../../../../src/leads/lead.js';
import { extractOffline } from '../../../../src/extraction/offline/extractOffline.js';

/**
 * Field accuracy of the offline extractor on the third set of calls written blind (from the shared README's rules,
 * without reading the extractor). It is a measurement, not a per-call spec: the check is that the share of right
 * fields (6 per call) stays at or above THRESHOLD (the first run's figure, rounded down), and a failure names every
 * wrong field.
 */
const THRESHOLD = 0.98;

const here = dirname(fileURLToPath(import.meta.url));
const NOW = new Date('2026-06-01');

const SampleSchema = ConversationSchema.extend({
  id: z.string(),
  expected: z.object({ lead: LeadSchema, complete: z.boolean(), errors: z.array(z.enum(LEAD_FIELDS)) }),
});

const samples = readdirSync(here)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, sample: SampleSchema.parse(JSON.parse(readFileSync(join(here, file), 'utf8'))) }));

describe('offline extractor on blind set 3', () => {
  it('has at least 40 blind calls', () => {
    expect(samples.length).toBeGreaterThanOrEqual(40);
  });

  it(`gets at least ${THRESHOLD * 100}% of fields right`, () => {
    const wrong: string[] = [];
    const perField = new Map<string, number>(LEAD_FIELDS.map((f) => [f, 0]));
    let right = 0;
    for (const { file, sample } of samples) {
      const { lead } = extractOffline(sample, NOW);
      for (const field of LEAD_FIELDS) {
        const got = lead[field];
        const want = sample.expected.lead[field];
        if (got === want) {
          right += 1;
          perField.set(field, (perField.get(field) ?? 0) + 1);
        } else {
          wrong.push(`${file} ${field}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        }
      }
    }
    const total = samples.length * LEAD_FIELDS.length;
    const accuracy = right / total;
    const table = LEAD_FIELDS.map((f) => `${f} ${perField.get(f)}/${samples.length}`).join(', ');
    const report = `accuracy ${right}/${total} = ${(accuracy * 100).toFixed(1)}% (${table})\n${wrong.join('\n')}`;
    expect(accuracy, report).toBeGreaterThanOrEqual(THRESHOLD);
  });
});
