/** Spoken numbers ("three oh oh nine three", "twenty twenty-one", "RZR XP one thousand") turned into digits. */

const UNITS: Readonly<Record<string, number>> = {
  zero: 0, oh: 0, o: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
};
const TEENS: Readonly<Record<string, number>> = {
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19,
};
const TENS: Readonly<Record<string, number>> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};
const REPEATS: Readonly<Record<string, number>> = { double: 2, triple: 3 };
const SCALES: Readonly<Record<string, number>> = { hundred: 100, thousand: 1000 };

/**
 * `digits`: a string of digits as read out (ZIP, phone): "eight hundred" is "800" and never absorbs what follows.
 * `number`: numbers as said in prose (years, model numbers): "two thousand nine" is 2009, "five seventy" is 570.
 */
export type NumberMode = 'digits' | 'number';

/** Words after which "one" is a pronoun ("the one I'm calling from"), not a digit. */
const PRONOUN_ONE_AFTER = new Set(['the', 'this', 'that', 'a', 'which', 'any', 'no', 'each', 'every', 'another', 'other', 'new', 'old', 'right', 'same']);

const isNumberWord = (w: string): boolean =>
  w in UNITS || w in TEENS || w in TENS || w in SCALES || w in REPEATS;

/** One number being built: its value, its text, and the largest part that may still be added to it. */
interface Part {
  value: number;
  /** A part below this may be added ("twenty" accepts a unit below 10; "three hundred" accepts below 100). */
  accept: number;
  /** Leading zeros matter in digit strings ("oh" is "0"). */
  text: string | null;
}

const textOf = (p: Part): string => p.text ?? String(p.value);

/** Reads one run of number words into its digit string, or null when the run is not numeric. */
function readRun(words: readonly string[], mode: NumberMode): string | null {
  const parts: Part[] = [];
  let repeat = 1;
  for (const word of words) {
    const last = parts.at(-1);
    if (word === 'and') continue;
    if (word in REPEATS) {
      repeat = REPEATS[word] ?? 1;
      continue;
    }
    const unit = UNITS[word];
    const teen = TEENS[word];
    const tens = TENS[word];
    const scale = SCALES[word];
    if (unit !== undefined) {
      if (repeat > 1) {
        parts.push({ value: unit, accept: 0, text: String(unit).repeat(repeat) });
        repeat = 1;
      } else if (last && unit > 0 && unit < last.accept) {
        last.value += unit;
        last.accept = 0;
      } else {
        parts.push({ value: unit, accept: 0, text: null });
      }
    } else if (teen !== undefined) {
      if (last && last.accept >= 100 && teen < last.accept) {
        last.value += teen;
        last.accept = 0;
      } else parts.push({ value: teen, accept: 0, text: null });
    } else if (tens !== undefined) {
      if (last && last.accept >= 100 && tens < last.accept) {
        last.value += tens;
        last.accept = 10;
      } else parts.push({ value: tens, accept: 10, text: null });
    } else if (scale !== undefined) {
      if (mode === 'digits') {
        if (last) last.text = textOf(last) + '0'.repeat(String(scale).length - 1);
        else parts.push({ value: scale, accept: 0, text: null });
        if (last) last.accept = 0;
      } else if (last && last.text === null && last.value > 0 && last.value < scale) {
        last.value *= scale;
        last.accept = scale;
      } else if (last && last.accept === 0 && scale === 100 && last.value > 1000 && last.value % 1000 < 10) {
        // "two thousand three hundred": the unit just added becomes hundreds.
        const r = last.value % 1000;
        last.value = last.value - r + r * 100;
        last.accept = 100;
      } else parts.push({ value: scale, accept: scale, text: null });
    }
  }
  if (parts.length === 0) return null;
  // "four one thousand" in a model ("RZR XP 4 1000") is two numbers: a round thousand or hundred after another
  // number is never its tail ("five seventy" is 570, but "4" and "1000" do not make 41000).
  if (mode === 'number') {
    return parts.map((p, i) => (i > 0 && p.text === null && p.value % 100 === 0 && p.value >= 100 ? ` ${textOf(p)}` : textOf(p))).join('');
  }
  return parts.map(textOf).join('');
}

/**
 * Replaces every run of spoken number words in a text with its digits, leaving everything else as it was.
 * Runs are broken by punctuation other than hyphens, so "two one four, five five five" stays grouped.
 */
export function spokenNumbersToDigits(text: string, mode: NumberMode = 'number'): string {
  const pieces = text.match(/[A-Za-z]+|[^A-Za-z]+/g) ?? [];
  let out = '';
  let run: string[] = [];
  let runText = '';
  let gap = '';
  let prevWord = '';
  const flush = (): void => {
    const numeric = run.some((w) => w !== 'oh' && w !== 'o' && w !== 'and');
    const onlyPronoun = run.length === 1 && run[0] === 'one' && PRONOUN_ONE_AFTER.has(prevWord);
    const digits = numeric && !onlyPronoun ? readRun(run, mode) : null;
    out += digits ?? runText;
    run = [];
    runText = '';
  };
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    const lower = piece.toLowerCase();
    if (/^[A-Za-z]+$/.test(piece)) {
      const next = (pieces[i + 2] ?? '').toLowerCase();
      const joinsRun =
        isNumberWord(lower) ||
        ((lower === 'oh' || lower === 'o') && (run.length > 0 || isNumberWord(next))) ||
        (lower === 'and' && run.length > 0 && (run.at(-1) === 'hundred' || run.at(-1) === 'thousand') && isNumberWord(next));
      if (joinsRun && (run.length === 0 || /^[\s-]+$/.test(gap))) {
        if (run.length > 0) runText += gap;
        else out += gap;
        run.push(lower);
        runText += piece;
      } else {
        if (run.length > 0) flush();
        out += gap + piece;
        prevWord = lower;
      }
      gap = '';
    } else {
      if (run.length > 0 && !/^[\s-]+$/.test(piece)) {
        flush();
        out += piece;
      } else if (run.length > 0) {
        gap = piece;
      } else {
        out += piece;
      }
    }
  }
  if (run.length > 0) flush();
  return out + gap;
}

/** Every digit of a text once spoken numbers are read as digit strings ("two one four, 555" -> "214555"). */
export function digitsIn(text: string): string {
  return spokenNumbersToDigits(text, 'digits').replace(/\D/g, '');
}
