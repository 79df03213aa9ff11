import { describe, expect, it } from 'vitest';
import { REPLACEMENT_CHARACTER as R, storableStrings, storableText, storableValue } from '../../src/wire/storableText.js';

/** Well-formed UTF-16 survives a UTF-8 round trip unchanged; a lone surrogate does not. */
const wellFormed = (s: string): boolean => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('storableText', () => {
  it.each([
    ['a NUL', 'ab\u0000c', `ab${R}c`],
    ['NULs only', '\u0000\u0000', `${R}${R}`],
    ['a lone high surrogate at the end', 'yes \ud83d', `yes ${R}`],
    ['a lone low surrogate at the start', '\ude00 ok', `${R} ok`],
    ['a low before its high (reversed pair)', '\ude00\ud83d', `${R}${R}`],
    ['two highs then a low: the first is lone', '\ud83d\ud83d\ude00', `${R}\ud83d\ude00`],
  ])('replaces %s with U+FFFD', (_, input, expected) => {
    expect(storableText(input)).toBe(expected);
  });

  it('keeps well-formed text as it is: pairs (emoji), control characters other than NUL, U+FFFD itself', () => {
    for (const text of ['John Carter', 'ok 😀 👍🏽', 'tab\tand\nnewline\u0001', `already ${R}`, '']) expect(storableText(text)).toBe(text);
  });

  it('leaves no NUL and no lone surrogate in any string of random code units', () => {
    let seed = 12;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const pool = [0x0, 0x41, 0xd83d, 0xde00, 0xdbff, 0xdc00, 0xfffd, 0x20];
    for (let n = 0; n < 2_000; n++) {
      const text = String.fromCharCode(...Array.from({ length: next() % 12 }, () => pool[next() % pool.length] ?? 0));
      const out = storableText(text);
      expect(out.includes('\u0000')).toBe(false);
      expect(wellFormed(out)).toBe(true);
      expect(out.length).toBe(text.length);
      if (wellFormed(text) && !text.includes('\u0000')) expect(out).toBe(text);
    }
  });
});

describe('storableStrings and storableValue', () => {
  it('make every string of a form or a JSON value storable, keys included, and keep other values', () => {
    expect(storableStrings({ From: '+1404\u0000', Body: 'hi' })).toEqual({ From: `+1404${R}`, Body: 'hi' });
    const value = { a: ['x\u0000', 2, null, true], 'k\ud800': { deep: '\udfff' }, n: 3 };
    expect(storableValue(value)).toEqual({ a: [`x${R}`, 2, null, true], [`k${R}`]: { deep: R }, n: 3 });
    expect(value.a[0]).toBe('x\u0000');
  });
});
