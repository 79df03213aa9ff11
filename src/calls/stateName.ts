/** A (non-parallel) state value as a dotted name: `{ submitting: 'sending' }` -> `submitting.sending`. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    return key === undefined ? '' : `${key}.${stateName(inner)}`;
  }
  return '';
}
