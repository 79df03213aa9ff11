/** Names spelled letter by letter ("K-O-W-A-L-C-Z-Y-K", "K O W A L C Z Y K", "K. O. W."), which win over the recognizer's guess. */

/** Hyphen-joined letters, any case: "k-o-w-a-l". */
const HYPHENATED = /(?<![A-Za-z'])[A-Za-z](?:\s*-\s*[A-Za-z]){1,}(?![A-Za-z])/g;
/** Capital letters standing alone, separated by spaces, dots or commas: "K O W", "K. O. W.". */
const SEPARATED = /(?<![A-Za-z'])[A-Z]\.?(?:[\s,]+[A-Z]\.?(?![A-Za-z])){2,}/g;

/** Lower-case letters standing alone: four or more in a row never occur in prose ("s c h m i d t"). */
const SEPARATED_LOWER = /(?<![A-Za-z'])[a-z](?:[\s,]+[a-z](?![A-Za-z'])){3,}/g;

/**
 * A letter told by a word: "S as in Sam", "b as in boy", "B like Bravo", "T for Tom". The word only says which letter
 * it is, so it is dropped and the letter stands alone, in the case the recognizer wrote it. "for"/"like" need a capital
 * letter: lower-case "a for" is prose.
 */
const LETTER_AS_IN = /(?<![A-Za-z'])(?:([A-Za-z])\s+as\s+in|([A-Z])\s+(?:like|for))\s+[A-Za-z]+\b/g;

/** One letter standing alone, then more of them joined by hyphens, or by spaces and commas, or none. */
const LETTER_RUN = String.raw`(?<![A-Za-z'’])[A-Za-z](?:(?:\s*-\s*[A-Za-z](?![A-Za-z'’]))+|(?:[\s,]+[A-Za-z](?![A-Za-z'’]))*)(?![A-Za-z'’])`;
/** Punctuation said as a word in a spelling. */
const JOINER = String.raw`[\s,]+(apostrophe|hyphen|dash)[\s,]+`;
/**
 * A spelling with its punctuation said ("d apostrophe a-n-g-e-l-o", "M-A-R-Y hyphen K-A-T-E"); after an
 * apostrophe the rest may be said as a word ("o apostrophe neil").
 */
const JOINED = new RegExp(
  String.raw`${LETTER_RUN}(?:[\s,]+apostrophe[\s,]+(?:${LETTER_RUN}|[A-Za-z]{2,}\b)|[\s,]+(?:hyphen|dash)[\s,]+${LETTER_RUN})+`,
  'gi',
);

const capitalizeWord = (letters: string): string => letters.charAt(0).toUpperCase() + letters.slice(1).toLowerCase();

const SAID_MARK: Readonly<Record<string, string>> = { apostrophe: "'", hyphen: '-', dash: '-' };

/** The word a spelling with said punctuation stands for: "d apostrophe a-n-g-e-l-o" -> "D'Angelo". */
function joinedWord(match: string): string {
  // split() with the joiner's group keeps the punctuation words between the letter runs.
  return match
    .split(new RegExp(JOINER, 'i'))
    .map((piece) => SAID_MARK[piece.toLowerCase()] ?? capitalizeWord(piece.replace(/[^A-Za-z]/g, '')))
    .join('');
}

/** One spelled word, and the text with it taken out. */
export interface SpelledWords {
  readonly words: string[];
  readonly rest: string;
}

/** Finds the spelled words in an answer ("Mark, M-A-R-K" -> ["Mark"]) and returns the answer without them. */
export function findSpelledWords(text: string): SpelledWords {
  const found: { index: number; word: string }[] = [];
  let rest = text.replace(LETTER_AS_IN, (_m: string, a?: string, b?: string) => a ?? b ?? '');
  rest = rest.replace(JOINED, (match: string, ...args: unknown[]) => {
    const offset = args.find((x): x is number => typeof x === 'number') ?? 0;
    found.push({ index: offset, word: joinedWord(match) });
    return ' , ';
  });
  for (const re of [HYPHENATED, SEPARATED, SEPARATED_LOWER]) {
    rest = rest.replace(re, (match: string, offset: number) => {
      const letters = match.replace(/[^A-Za-z]/g, '');
      // "I" + "a" in ordinary prose is not spelling; real spellings run at least two letters of one case pattern.
      if (letters.length < 2) return match;
      found.push({ index: offset, word: capitalizeWord(letters) });
      return ' , ';
    });
  }
  found.sort((a, b) => a.index - b.index);
  return { words: found.map((f) => f.word), rest };
}
