/**
 * Text PostgreSQL cannot store: U+0000 (jsonb refuses `\u0000` with SQLSTATE 22P05, and a NUL in a text parameter
 * breaks the protocol message, 08P01) and UTF-16 surrogates without their pair (jsonb: 22P02). One lone code unit
 * poisons the whole row it is in: a caller's number, a transcript, a lead.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** What an unstorable code unit becomes: the Unicode replacement character, so the damage stays visible. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** The text with U+0000 and lone surrogates replaced by U+FFFD (the same string when there is none). */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, REPLACEMENT_CHARACTER);
}

/** A form's or a record's string values made storable (Twilio webhook parameters, stream custom parameters). */
export function storableStrings(values: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) out[storableText(key)] = storableText(value);
  return out;
}

/** A JSON-like value with every string in it (keys included) made storable; other values are kept as they are. */
export function storableValue<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => storableValue(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableValue(v)])) as T;
  }
  return value;
}
