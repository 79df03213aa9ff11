import type { Extractor } from '../extraction/extractor.js';

/** Which witness an extraction used, or `error` when it threw (a timeout, an abort). */
export type ExtractionSource = 'llm' | 'offline' | 'error';

/** The extractor with each extraction's duration reported (metrics); the extraction itself is unchanged. */
export function timedExtractor(
  extractor: Extractor,
  observe: (ms: number, source: ExtractionSource) => void,
  now: () => number = () => performance.now(),
): Extractor {
  return {
    async extract(conversation, options) {
      const startedAt = now();
      try {
        const extraction = await extractor.extract(conversation, options);
        observe(now() - startedAt, extraction.source);
        return extraction;
      } catch (error) {
        observe(now() - startedAt, 'error');
        throw error;
      }
    },
  };
}
