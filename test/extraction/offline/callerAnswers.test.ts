import { describe, expect, it } from 'vitest';
import { isAffirmation, parsePhoneAnswer } from '../../../src/extraction/offline/callerAnswers.js';

describe('isAffirmation: idioms that accept a read-back', () => {
  it.each(['there you go', 'Spot on.', 'you nailed it', 'Bingo, that is it.', 'uh yeah that works'])('%s', (text) => {
    expect(isAffirmation(text)).toBe(true);
  });

  it.each(["there you go again, no it's a 2017", 'not quite'])('not: %s', (text) => {
    expect(isAffirmation(text)).toBe(false);
  });
});

describe('parsePhoneAnswer: digits the caller says are wrong are not part of the number', () => {
  it.each([
    ['the last four are zero one nine one, not zero one nine nine', '0191'],
    ['four oh four five five five zero one four four not zero one one one', '4045550144'],
  ])('%s', (text, digits) => {
    expect(parsePhoneAnswer(text)).toEqual({ kind: 'digits', digits });
  });
});
