import { describe, expect, it } from 'vitest';
import { findSpelledWords } from '../../../src/extraction/offline/spelledNames.js';

describe('findSpelledWords: punctuation said as a word', () => {
  it.each([
    ["yeah it's d apostrophe a-n-g-e-l-o", ["D'Angelo"]],
    ['sure s-e-a-n and then o apostrophe n-e-i-l', ['Sean', "O'Neil"]],
    ['M-A-R-Y hyphen K-A-T-E', ['Mary-Kate']],
    ['it is O, apostrophe, B R I E N.', ["O'Brien"]],
  ])('%s', (text, words) => {
    expect(findSpelledWords(text).words).toEqual(words);
  });

  it('leaves no stray letter of the spelling in the rest of the answer', () => {
    expect(findSpelledWords("yeah it's d apostrophe a-n-g-e-l-o").rest).not.toMatch(/\bd\b|apostrophe/i);
  });
});

describe('findSpelledWords: said punctuation in prose is no spelling', () => {
  it('leaves "a dash of" alone', () => {
    expect(findSpelledWords('it needs a dash of paint').words).toEqual([]);
  });
});
