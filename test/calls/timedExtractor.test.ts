import { describe, expect, it } from 'vitest';
import { timedExtractor, type ExtractionSource } from '../../src/calls/timedExtractor.js';
import { createExtractor, type Extractor } from '../../src/extraction/extractor.js';
import { createLogger } from '../../src/log.js';
import type { Conversation } from '../../src/leads/lead.js';

const conversation: Conversation = {
  callerPhone: '+14045550111',
  turns: [
    { role: 'assistant', text: 'Thanks for calling Power Sport Buyers. May I have your name?' },
    { role: 'user', text: 'John Carter, zip 30093, a 2019 Harley-Davidson Street Glide.' },
  ],
};

describe('timedExtractor', () => {
  it('reports the duration and the witness used, and returns the extraction unchanged', async () => {
    const real = createExtractor({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', OPENAI_MODEL: 'm', EXTRACTION_TIMEOUT_MS: 1_000 }, { logger: createLogger('silent'), client: null });
    const seen: Array<[number, ExtractionSource]> = [];
    let clock = 100;
    const timed = timedExtractor(real, (ms, source) => seen.push([ms, source]), () => (clock += 25));
    const extraction = await timed.extract(conversation);
    expect(extraction).toEqual(await real.extract(conversation));
    expect(seen).toEqual([[25, 'offline']]);
  });

  it('reports a failed extraction as error and rethrows it', async () => {
    const failing: Extractor = { extract: () => Promise.reject(new Error('extraction failed: aborted')) };
    const seen: ExtractionSource[] = [];
    await expect(timedExtractor(failing, (_, source) => seen.push(source)).extract(conversation)).rejects.toThrow('aborted');
    expect(seen).toEqual(['error']);
  });
});
