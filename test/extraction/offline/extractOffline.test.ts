import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationSchema, LeadSchema, LEAD_FIELDS } from '../../../src/leads/lead.js';
import { extractOffline } from '../../../src/extraction/offline/extractOffline.js';
import { SHARED_TRANSCRIPTS_DIR } from '../../support/sharedTranscripts.js';

const here = dirname(fileURLToPath(import.meta.url));
const SampleSchema = ConversationSchema.extend({
  id: z.string(),
  expected: z.object({
    lead: LeadSchema,
    complete: z.boolean(),
    errors: z.array(z.enum(LEAD_FIELDS)),
  }),
});

/** Every sample call in a folder (`*.json` with turns and the lead it must produce). */
function loadSamples(dir: string, prefix = ''): { file: string; sample: z.infer<typeof SampleSchema> }[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, sample: SampleSchema.parse(JSON.parse(readFileSync(join(dir, file), 'utf8'))) }));
}

// The clock the samples were written against: "next year" bounds the model year.
const NOW = new Date('2026-06-01T12:00:00Z');

const publicSamples = loadSamples(SHARED_TRANSCRIPTS_DIR, 'public-');
const ownSamples = loadSamples(join(here, 'fixtures'));

describe('extractOffline on the shared public samples', () => {
  it('finds the samples', () => {
    expect(publicSamples.length).toBeGreaterThanOrEqual(12);
  });
  it.each(publicSamples.map((s) => [s.file, s.sample] as const))('%s', (_file, sample) => {
    const result = extractOffline(sample, NOW);
    expect({ lead: result.lead, complete: result.complete, errors: result.errors }).toEqual(sample.expected);
  });
});

describe('extractOffline on our own call variations', () => {
  it('has at least 15 of them', () => {
    expect(ownSamples.length).toBeGreaterThanOrEqual(15);
  });
  it.each(ownSamples.map((s) => [s.file, s.sample] as const))('%s', (_file, sample) => {
    const result = extractOffline(sample, NOW);
    expect({ lead: result.lead, complete: result.complete, errors: result.errors }).toEqual(sample.expected);
  });
});

describe('extractOffline result shape', () => {
  it('lists missing fields of a call that ends early', () => {
    const result = extractOffline(
      {
        callerPhone: '+17705550183',
        turns: [
          { role: 'assistant', text: 'May I have your full name, please?' },
          { role: 'user', text: 'Brian Foster.' },
        ],
      },
      NOW,
    );
    expect(result.lead.full_name).toBe('Brian Foster');
    expect(result.missing).toEqual(['zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model']);
    expect(result.complete).toBe(false);
  });
  it('returns an empty lead for an empty call', () => {
    const result = extractOffline({ turns: [] }, NOW);
    expect(result.missing).toEqual([...LEAD_FIELDS]);
  });
});
