import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { blankAsAbsent, parseInput } from '../../src/admin/parseInput.js';
import { BadInputError } from '../../src/errors.js';

describe('parseInput', () => {
  const schema = z.object({ limit: z.coerce.number().int().max(10), name: z.preprocess(blankAsAbsent, z.string().optional()) });

  it('the parsed value; an empty string is absent', () => {
    expect(parseInput(schema, { limit: '3', name: '' })).toEqual({ limit: 3 });
  });

  it('a BadInputError naming each bad key, without echoing the value', () => {
    let caught: unknown;
    try {
      parseInput(schema, { limit: '4045550141' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BadInputError);
    expect((caught as Error).message).toMatch(/^limit: /);
    expect((caught as Error).message).not.toContain('4045550141');
    expect(() => parseInput(z.number(), 'x')).toThrow(/^input: /);
  });
});
