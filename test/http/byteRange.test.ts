import { describe, expect, it } from 'vitest';
import { contentRange, parseRange } from '../../src/http/byteRange.js';

describe('parseRange', () => {
  it.each([
    // header, size, expected
    [undefined, 100, { kind: 'whole' }],
    ['', 100, { kind: 'whole' }],
    ['bytes=0-', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=0-0', 100, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['bytes=90-200', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=99-', 100, { kind: 'partial', start: 99, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['BYTES=5-6', 100, { kind: 'partial', start: 5, end: 6 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    // Not one byte range: answered whole, as RFC 9110 allows.
    ['bytes=0-1,5-6', 100, { kind: 'whole' }],
    ['items=0-1', 100, { kind: 'whole' }],
    ['bytes=9-3', 100, { kind: 'whole' }],
    ['bytes=-', 100, { kind: 'whole' }],
    ['bytes=a-b', 100, { kind: 'whole' }],
  ])('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it('writes Content-Range for a part and for a 416', () => {
    expect(contentRange({ kind: 'partial', start: 10, end: 19 }, 100)).toBe('bytes 10-19/100');
    expect(contentRange({ kind: 'unsatisfiable' }, 100)).toBe('bytes */100');
  });
});
