// Blind figure (first run, 2026-12-01, commit c6e2d55fb0cef8ae18d8ea053742425f9a4a008e): 241/252 fields = 95.6%
// One self-error fixed afterwards (blind2-35 vehicle_model: Yamaha writes the model "FX Cruiser SVHO";
// WaveRunner is the product line), which makes it 242/252 = 96.0%. THRESHOLD is that figure rounded down.
// Training figure (after fixes on 2026-12-01, commit 138c9db4f79c5c0971cabe647053e3bdb245196e): 252/252 = 100.0%
// The misses were read and fixed by class, so the set is now training data, not a blind measurement (blind3 is
// the next honest one). THRESHOLD now follows the training figure, rounded down to a whole percent (was 0.96).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationSchema, LeadSchema, LEAD_FIELDS } from '../../../../src/leads/lead.js';
import { extractOffline } from '../../../../src/extraction/offline/extractOffline.js';

/**
 * Field accuracy of the offline extractor on calls written blind (from the shared README's rules, before the
 * extractor was read). It is a measurement, not a per-call spec: the check is that the share of right fields
 * (6 per call) stays at or above THRESHOLD, and a failure names every wrong field.
 */
const THRESHOLD = 1;

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

describe('offline extractor on the blind2 set', () => {
  it('has the 40 blind2 calls', () => {
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
