/** Name particles that stay lower case unless they open the name ("Luis de la Cruz"). */
const PARTICLES = new Set(['de', 'la', 'del', 'della', 'van', 'von', 'der', 'den', 'da', 'di', 'du', 'le', 'dos', 'das', 'y', 'bin', 'al']);

/** Words callers put around their name that are not part of it. */
const LEAD_INS = [
  /^(?:(?:hi|hello|hey|yeah|yes|yep|sure|ok|okay|um+|uh+|so|well|oh)\b[\s,.!]*)+/i,
  /^(?:my\s+(?:full\s+)?name(?:'s|\s+is)|the\s+name(?:'s|\s+is)|name(?:'s|\s+is)|this\s+is|it's|it\s+is|its|i'm|i\s+am|im|you\s+can\s+call\s+me|call\s+me)\b[\s,]*/i,
];
const TRAILERS = /[\s,]+(?:here|speaking|thanks|thank\s+you)[\s.!]*$/i;

const capitalize = (s: string): string => (s === '' ? s : s.charAt(0).toUpperCase() + s.slice(1).toLowerCase());

/** One name word cased: "o'neil" -> "O'Neil", "mary-kate" -> "Mary-Kate", "mcdonald" -> "McDonald". */
function caseWord(word: string, first: boolean): string {
  const lower = word.toLowerCase();
  if (!first && PARTICLES.has(lower)) return lower;
  // A mixed-case word the caller typed (McDonald, DeShawn) is kept as given.
  if (/[a-z]/.test(word.slice(1)) && /[A-Z]/.test(word.slice(1)) && /^[A-Z]/.test(word)) return word;
  return word
    .split(/([-'’])/)
    .map((seg, i, all) => {
      if (seg === '-' || seg === "'" || seg === '’') return seg;
      // A single letter before an apostrophe is a prefix (O'Neil, D'Angelo); a longer one is a possessive-like tail.
      const prevSep = all[i - 1];
      if ((prevSep === "'" || prevSep === '’') && seg.length <= 1) return seg.toLowerCase();
      const c = capitalize(seg);
      return /^Mc[a-z]/.test(c) && c.length > 3 ? 'Mc' + c.charAt(2).toUpperCase() + c.slice(3) : c;
    })
    .join('');
}

/** Strips lead-ins ("my name is", "it's", "um") and trailers ("here") from a name as said. */
export function stripNameFillers(text: string): string {
  let s = text.trim();
  for (let again = true; again; ) {
    again = false;
    for (const re of LEAD_INS) {
      const next = s.replace(re, '');
      if (next !== s) {
        s = next;
        again = true;
      }
    }
  }
  return s.replace(TRAILERS, '').replace(/[.,;:!?]+$/, '').trim();
}

/** Generational suffixes: not part of the first and last name the lead keeps ("William Harris Jr." -> "William Harris"). */
const SUFFIX = /^(?:jr|junior|sr|senior|ii|iii|iv)\.?$/i;

/** A full name cased per part ("mary-kate o'neil" -> "Mary-Kate O'Neil"), or null when empty. */
export function normalizeFullName(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const words = stripNameFillers(raw)
    .replace(/[^\p{L}\p{M}'’.\-\s]/gu, ' ')
    .split(/\s+/)
    .filter((w) => /\p{L}/u.test(w));
  while (words.length > 2 && SUFFIX.test(words.at(-1) ?? '')) words.pop();
  if (words.length === 0) return null;
  return words.map((w, i) => caseWord(w, i === 0)).join(' ');
}
