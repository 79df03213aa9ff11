import { describe, expect, it } from 'vitest';
import { isAffirmation } from '../../../src/extraction/offline/callerAnswers.js';

describe('isAffirmation: idioms that accept a read-back', () => {
  it.each(['there you go', 'Spot on.', 'you nailed it', 'Bingo, that is it.', 'uh yeah that works'])('%s', (text) => {
    expect(isAffirmation(text)).toBe(true);
  });

  it.each(["there you go again, no it's a 2017", 'not quite'])('not: %s', (text) => {
    expect(isAffirmation(text)).toBe(false);
  });
});
