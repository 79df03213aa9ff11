import { describe, expect, it } from 'vitest';
import { digitsIn, spokenNumbersToDigits } from '../../../src/leads/lexicon/numberWords.js';

describe('spokenNumbersToDigits (number mode)', () => {
  it.each([
    ['twenty twenty', '2020'],
    ['twenty twenty-one', '2021'],
    ['twenty-one', '21'],
    ['oh-nine', '09'],
    ['ninety-eight', '98'],
    ['nineteen ninety eight', '1998'],
    ['two thousand nine', '2009'],
    ['two thousand and five', '2005'],
    ['two thousand nineteen', '2019'],
    ['two thousand twenty one', '2021'],
    ['twenty oh five', '2005'],
    ['RZR XP one thousand', 'RZR XP 1000'],
    ['outlander five seventy', 'outlander 570'],
    ['GTX three hundred', 'GTX 300'],
    ['Ultra three ten', 'Ultra 310'],
    ['RMK eight fifty', 'RMK 850'],
    ['RZR XP four one thousand', 'RZR XP 4 1000'],
    ['krx four one thousand', 'krx 4 1000'],
    ['general four one thousand', 'general 4 1000'],
  ])('%s -> %s', (spoken, digits) => {
    expect(spokenNumbersToDigits(spoken)).toBe(digits);
  });

  it('leaves words that only look like numbers alone', () => {
    expect(spokenNumbersToDigits('Oh, actually it is in San Diego')).toBe('Oh, actually it is in San Diego');
    expect(spokenNumbersToDigits("The one I'm calling from is fine.")).toBe("The one I'm calling from is fine.");
    expect(spokenNumbersToDigits('Yep, that is the one.')).toBe('Yep, that is the one.');
  });

  it('keeps punctuation between separately spoken groups', () => {
    expect(spokenNumbersToDigits('Two one four, five five five, zero one nine eight.')).toBe('214, 555, 0198.');
  });
});

describe('digitsIn (digit strings)', () => {
  it.each([
    ['three oh oh nine three', '30093'],
    ['Two one four, five five five, zero one nine eight.', '2145550198'],
    ['nine oh two one oh', '90210'],
    ['double five', '55'],
    ['triple five', '555'],
    ['four oh four, triple five, oh one one one', '4045550111'],
    ['one eight hundred five five five one two one two', '18005551212'],
    ['404-555-0111', '4045550111'],
    ['no digits here', ''],
  ])('%s -> %s', (spoken, digits) => {
    expect(digitsIn(spoken)).toBe(digits);
  });
});
