import { describe, expect, it } from 'vitest';
import { mergeName, parseNameAnswer } from '../../../src/extraction/offline/nameAnswer.js';
import { findSpelledWords } from '../../../src/extraction/offline/spelledNames.js';

describe('findSpelledWords', () => {
  it.each([
    ["Sure, it's K-O-W-A-L-C-Z-Y-K.", ['Kowalczyk']],
    ['W O J C I K.', ['Wojcik']],
    ['k u c h a r z.', ['Kucharz']],
    ['S-I-O-B-H-A-N, N-G-U-Y-E-N.', ['Siobhan', 'Nguyen']],
    ['I am fine, a bit tired.', []],
  ])('%s', (text, words) => {
    expect(findSpelledWords(text).words).toEqual(words);
  });
});

describe('parseNameAnswer', () => {
  it.each([
    ['Hi, yeah, my name is John Carter.', ['John', 'Carter']],
    ['Yeah, this is Dave, Dave Smith.', ['Dave', 'Smith']],
    ['Luis de la Cruz.', ['Luis', 'de', 'la', 'Cruz']],
    ['Yeah my name is Mike, last name Brown.', ['Mike', 'Brown']],
    ['John, uh, Carter.', ['John', 'Carter']],
    ["Hold on, I've got another call coming in.", []],
    ['Sorry, wrong number.', []],
  ])('%s', (text, words) => {
    expect(parseNameAnswer(text).words).toEqual(words);
  });
});

describe('mergeName', () => {
  it('puts a spelled last name in place of the heard one', () => {
    const locked = new Set<string>();
    const name = mergeName(['Mark', 'Kovalchick'], parseNameAnswer("Sure, it's K-O-W-A-L-C-Z-Y-K."), 'last', locked);
    expect(name).toEqual(['Mark', 'Kowalczyk']);
    // A later unspelled hearing of the same name does not undo the spelling.
    expect(mergeName(name, parseNameAnswer('Mark Kovalchick.'), 'full', locked)).toEqual(['Mark', 'Kowalczyk']);
  });
  it('adds a last name to a first name and corrects one part', () => {
    expect(mergeName(['John'], parseNameAnswer('Smith.'), 'last', new Set())).toEqual(['John', 'Smith']);
    expect(mergeName(['John', 'Peterson'], parseNameAnswer("It's Jon."), 'full', new Set())).toEqual(['Jon', 'Peterson']);
  });
});

describe('parseNameAnswer: the name ends where the next field begins', () => {
  it.each([
    ['yeah hi this is marcus whitfield zip is four six two two zero', ['marcus', 'whitfield']],
    ["okay so it's tasha greenwood three oh zero four three six seven eight", ['tasha', 'greenwood']],
    ['sure jim hale phone four oh four five five five zero one one one', ['jim', 'hale']],
  ])('%s', (text, words) => {
    expect(parseNameAnswer(text).words).toEqual(words);
  });
});

describe('parseNameAnswer: the name follows an introduction late in the answer', () => {
  it.each([
    ["hey so my buddy steve randall told me to call you guys anyway i'm derek yates", ['derek', 'yates']],
    ['well my wife found your number online and this is tom baker', ['tom', 'baker']],
    ['I got your number from a friend so uh my name is Lisa Wong', ['Lisa', 'Wong']],
  ])('%s', (text, words) => {
    expect(parseNameAnswer(text).words).toEqual(words);
  });
});
