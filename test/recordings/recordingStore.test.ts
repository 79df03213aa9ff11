import { describe, expect, it } from 'vitest';
import { BadInputError, httpStatusOf } from '../../src/errors.js';
import {
  assertByteRange,
  assertRecordingKey,
  isRecordingKey,
  MAX_RECORDING_KEY_LENGTH,
  RecordingKeyError,
  RecordingRangeError,
} from '../../src/recordings/recordingStore.js';
import { BAD_KEYS } from './recordingStore.contract.js';

describe('assertRecordingKey', () => {
  it.each([
    '2026/12/01/CA0123456789abcdef0123456789abcdef.wav',
    'top.wav',
    'a',
    'A-Z_a-z.0-9/x.y',
    '.hidden.wav',
    'x'.repeat(MAX_RECORDING_KEY_LENGTH),
  ])('accepts %j', (key) => {
    expect(() => assertRecordingKey(key)).not.toThrow();
    expect(isRecordingKey(key)).toBe(true);
  });

  it.each(BAD_KEYS.map((key) => [key]))('refuses %j', (key) => {
    expect(() => assertRecordingKey(key)).toThrow(RecordingKeyError);
    expect(isRecordingKey(key)).toBe(false);
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(513), 'too long'],
    ['a b.wav', 'characters other than letters, digits and /._-'],
    ['a..b.wav', 'contains ..'],
    ['/a.wav', 'leading /'],
    ['a//b.wav', 'empty or . segment'],
    ['a/./b.wav', 'empty or . segment'],
    ['a/', 'empty or . segment'],
  ])('says why it refuses %j: %s', (key, reason) => {
    const error = catchError(() => assertRecordingKey(key));
    expect(error).toBeInstanceOf(RecordingKeyError);
    expect(error).toMatchObject({ name: 'RecordingKeyError', key, reason, message: `invalid recording key: ${reason}` });
  });

  it('is bad input: a 400 at the HTTP edge', () => {
    const error = catchError(() => assertRecordingKey('../x.wav'));
    expect(error).toBeInstanceOf(BadInputError);
    expect(httpStatusOf(error)).toBe(400);
  });
});

describe('assertByteRange', () => {
  it.each([
    [0, 0],
    [0, 99],
    [5, 5],
    [1_000_000, 2_000_000],
  ])('accepts %i-%i', (start, end) => {
    expect(() => assertByteRange({ start, end })).not.toThrow();
  });

  it.each([
    [5, 4],
    [-1, 4],
    [0, -1],
    [0.5, 4],
    [0, Number.NaN],
    [0, Number.POSITIVE_INFINITY],
  ])('refuses %d-%d', (start, end) => {
    const error = catchError(() => assertByteRange({ start, end }));
    expect(error).toBeInstanceOf(RecordingRangeError);
    expect(httpStatusOf(error)).toBe(400);
  });
});

function catchError(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
