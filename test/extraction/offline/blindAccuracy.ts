import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationSchema, LeadSchema, LEAD_FIELDS } from '../../../src/leads/lead.js';
import { extractOffline } from '../../../src/extraction/offline/extractOffline.js';

const NOW = new Date('2026-06-01');

const SampleSchema = ConversationSchema.extend({
  id: z.string(),
  expected: z.object({ lead: LeadSchema, complete: z.boolean(), errors: z.array(z.enum(LEAD_FIELDS)) }),
});

/**
 * Field accuracy of the offline extractor on a set of calls written blind (from the shared README's rules, before
 * the extractor was read). It is a measurement, not a per-call spec: the check is that the share of right fields
 * (6 per call) stays at or above `threshold`, and a failure names every wrong field. Each set's folder records
 * its figures (blind and training) at the top of its test.
 */
export function describeBlindSet(options: { name: string; dir: string; minCalls: number; threshold: number }): void {
  const { name, dir, minCalls, threshold } = options;
  const samples = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, sample: SampleSchema.parse(JSON.parse(readFileSync(join(dir, file), 'utf8'))) }));

  describe(`offline extractor on the ${name} set`, () => {
    it(`has at least ${minCalls} calls`, () => {
      expect(samples.length).toBeGreaterThanOrEqual(minCalls);
    });

    it(`gets at least ${threshold * 100}% of fields right`, () => {
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
      expect(accuracy, report).toBeGreaterThanOrEqual(threshold);
    });
  });
}
