import type { z } from 'zod';
import { BadInputError } from '../errors.js';

/** `input` parsed with `schema`; what does not parse is a BadInputError naming each bad key and why. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`);
  throw new BadInputError(why.join('; '));
}

/** Query-string values: an empty parameter (`?from=`) counts as absent. */
export const blankAsAbsent = (value: unknown): unknown => (value === '' ? undefined : value);
