import { compactKey } from '../../leads/lexicon/editDistance.js';
import { fuzzyMakeForKey, makeForKey } from '../../leads/lexicon/makes.js';
import { modelForKey } from '../../leads/lexicon/models.js';
import { spokenNumbersToDigits } from '../../leads/lexicon/numberWords.js';
import { tokenize, type Token } from '../../leads/lexicon/tokens.js';

/** What an utterance says about the vehicle, as raw strings (normalized later). */
export interface VehicleParts {
  year: string | null;
  make: string | null;
  model: string | null;
}

/**
 * A vehicle reading: the parts known for sure, and a word that stands where an unknown make would (with what
 * follows it). The guess is no make by itself: it becomes one only when the agent reads it back and the caller
 * confirms, so talk after a year ("2020. I always mix that up") never turns into a make.
 */
export interface VehicleReading extends VehicleParts {
  readonly guess: { readonly make: string; readonly model: string | null } | null;
}

/** Which part of the vehicle the question asked for; `all` is "year, make and model". */
export type VehicleFocus = 'all' | 'year' | 'make' | 'model';

export interface VehicleParseOptions {
  readonly focus: VehicleFocus;
  /**
   * Caller speech: forgive misheard makes ("Cawasaki") and take an unknown word after the year as the make.
   * Off for the agent, who spells makes right and whose other sentences are not vehicle answers.
   */
  readonly fuzzy: boolean;
  readonly now: Date;
}

/** Words that end a model name: what follows them is talk, not the model. */
const MODEL_STOP = new Set([
  'and', 'with', 'that', "that's", 'thats', 'it', 'its', "it's", 'is', 'was', 'but', 'sorry', 'please', 'got',
  'right', 'correct', 'yes', 'yeah', 'yep', 'which', 'has', 'have', 'had', 'i', "i'm", 'im', 'about', 'only', 'in',
  'on', 'for', 'runs', 'miles', 'sir', "ma'am", 'maam', 'though', 'um', 'uh', 'so', 'really', 'just', 'or', 'no',
  'not', 'color', 'from', 'like', 'if', 'year', 'make', 'bike', 'motorcycle', 'vehicle', 'atv', 'sled', 'boat',
  'thanks', 'thank', 'okay', 'ok', 'actually', 'wait', 'because', 'we', 'my', 'he', 'she', 'they', 'there',
  'here', 'at', 'to', 'by', 'of', 'all', 'good', 'great', 'runs', 'condition', 'did', 'do', 'does', 'can', 'you',
  'let', 'me', 'check', 'see', 'know', 'think', 'remember', 'hold', 'hang', 'gotta', 'need', 'want', 'one',
]);

/** Words that open an answer before the part that matters ("um, it's a ..."). */
const LEAD_FILLERS = new Set([
  'um', 'uh', "it's", 'its', 'it', 'is', 'a', 'an', 'the', 'my', 'yeah', 'yes', 'well', 'oh', 'so', 'like', 'i',
  'think', 'have', 'got', 'model', "that's", 'thats', 'sure', 'ok', 'okay', 'no', 'sorry', 'actually', 'wait',
  'was', 'be', 'would', 'should', 'say', 'call', 'called', 'just', 'own', 'selling', 'sell', 'one', 'make',
  "he's", "she's", 'they', 'got', "i've", 'ive', 'has', 'had', 'of', 'kind', 'type', 'year',
]);

interface Span {
  readonly start: number;
  readonly end: number;
}

/** True when the caller says the word at `i` is wrong ("not a Kawasaki", "not 2016"). */
const isNegated = (tokens: readonly Token[], i: number): boolean => {
  const prev = tokens[i - 1]?.lower;
  return prev === 'not' || (prev !== undefined && ['a', 'an', 'the'].includes(prev) && tokens[i - 2]?.lower === 'not');
};

/** The last make mentioned, exact aliases first, then (when allowed) small misrecognitions. */
function findMake(tokens: readonly Token[], fuzzy: boolean): (Span & { make: string }) | null {
  const search = (lookup: (key: string) => string | null, maxWords: number): (Span & { make: string }) | null => {
    let found: (Span & { make: string }) | null = null;
    for (let i = 0; i < tokens.length; i++) {
      for (let n = Math.min(maxWords, tokens.length - i); n >= 1; n--) {
        const words = tokens.slice(i, i + n);
        // A make never spans a comma or full stop.
        if (words.slice(0, -1).some((t) => t.endsClause)) continue;
        const key = compactKey(words.map((t) => t.text).join(''));
        if (/^\d+$/.test(key) || (fuzzy && n === 1 && modelForKey(key) !== null) || isNegated(tokens, i)) continue;
        const make = lookup(key);
        if (make !== null) {
          found = { make, start: i, end: i + n };
          i += n - 1;
          break;
        }
      }
    }
    return found;
  };
  return search(makeForKey, 3) ?? (fuzzy ? search(fuzzyMakeForKey, 2) : null);
}

/** The first well-known model name at or after `from` (bare numbers never count). */
function findKnownModel(tokens: readonly Token[], from: number, to: number): Span | null {
  for (let i = from; i < to; i++) {
    for (let n = Math.min(3, to - i); n >= 1; n--) {
      const key = compactKey(tokens.slice(i, i + n).map((t) => t.text).join(''));
      if (!/^\d+$/.test(key) && modelForKey(key) !== null && !isNegated(tokens, i)) return { start: i, end: i + n };
    }
  }
  return null;
}

const isYearToken = (t: Token, twoDigitOk: boolean, maxYear: number): boolean => {
  const m = /^'?(\d{2}|\d{4})$/.exec(t.text);
  if (m === null || m[1] === undefined) return false;
  if (m[1].length === 4) return Number(m[1]) >= 1950 && Number(m[1]) <= maxYear;
  return twoDigitOk || t.text.startsWith("'") || m[1].startsWith('0');
};

const ARTICLES = new Set(['a', 'an', 'the']);

/** True when a well-known model name starts at token `i`. */
function startsKnownModel(tokens: readonly Token[], i: number): boolean {
  for (let n = Math.min(3, tokens.length - i); n >= 1; n--) {
    const key = compactKey(tokens.slice(i, i + n).map((t) => t.text).join(''));
    if (!/^\d+$/.test(key) && modelForKey(key) !== null) return true;
  }
  return false;
}

/** Words of one model phrase from `start`, and the index of the token it stopped at (not taken). */
function modelPhrase(tokens: readonly Token[], start: number, skip: ReadonlySet<number>): { words: string[]; next: number } {
  const words: string[] = [];
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) break;
    if (!skip.has(i)) {
      // An article after model words opens a new phrase ("the krx, the teryx krx 1000"), never part of a model.
      if ((MODEL_STOP.has(t.lower) || ARTICLES.has(t.lower)) && words.length > 0) return { words, next: i };
      if (!MODEL_STOP.has(t.lower) && !(words.length === 0 && LEAD_FILLERS.has(t.lower))) words.push(t.text);
    }
    if (t.endsClause && words.length > 0) return { words, next: i + 1 };
  }
  return { words, next: tokens.length };
}

/**
 * Words of a model from `start`, up to the end of the clause or a word that is talk, skipping `skip`. A caller
 * who says the model again, more fully ("it's the krx, the teryx krx one thousand"; "a sportsman, a sportsman
 * five seventy"), means the second saying: after a pause or an article, a phrase that opens with a known model
 * or with the same word replaces what came before.
 */
function collectModel(tokens: readonly Token[], start: number, skip: ReadonlySet<number>): string[] {
  let { words, next } = modelPhrase(tokens, start, skip);
  while (words.length > 0) {
    let j = next;
    while (j < tokens.length && ARTICLES.has(tokens[j]?.lower ?? '')) j++;
    const first = tokens[j];
    if (j === next || first === undefined || skip.has(j)) break;
    if (!startsKnownModel(tokens, j) && first.lower !== words[0]?.toLowerCase()) break;
    ({ words, next } = modelPhrase(tokens, j, skip));
  }
  return words;
}

/** Reads year, make and model from what a caller (or the agent reading back) said. */
export function parseVehicle(text: string, options: VehicleParseOptions): VehicleReading {
  const tokens = tokenize(spokenNumbersToDigits(text, 'number'));
  const maxYear = options.now.getFullYear() + 1;
  const make = findMake(tokens, options.fuzzy);
  const known = findKnownModel(tokens, make?.end ?? 0, tokens.length) ?? findKnownModel(tokens, 0, tokens.length);
  const vehicleStart = Math.min(make?.start ?? tokens.length, known?.start ?? tokens.length);

  let yearIndex = tokens.findIndex((t, i) => isYearToken(t, false, maxYear) && /\d{4}/.test(t.text) && !isNegated(tokens, i));
  if (yearIndex < 0) {
    yearIndex = tokens.findIndex(
      (t, i) =>
        isYearToken(t, options.focus === 'year' || i < vehicleStart, maxYear) &&
        (i < vehicleStart || options.focus === 'year' || t.text.startsWith("'")) &&
        !isNegated(tokens, i),
    );
  }
  const year = yearIndex >= 0 ? (tokens[yearIndex]?.text.replace(/^'/, '') ?? null) : null;
  const skip = new Set<number>(yearIndex >= 0 ? [yearIndex] : []);

  let model: string[] = [];
  if (make !== null) {
    // "It's a Kawasaki, let me check": after a pause only a known model name continues the vehicle.
    const pausedAfterMake = tokens[make.end - 1]?.endsClause === true;
    const knownAfter = findKnownModel(tokens, make.end, tokens.length);
    if (!pausedAfterMake) model = collectModel(tokens, make.end, skip);
    else if (knownAfter !== null) model = collectModel(tokens, knownAfter.start, skip);
    if (model.length === 0 && known !== null && known.start < make.start) {
      model = collectModel(tokens.slice(0, make.start), known.start, skip);
    }
  } else if (known !== null) {
    model = collectModel(tokens, known.start, skip);
  } else if (options.focus === 'model') {
    model = collectModel(tokens, 0, skip);
  }

  let guess: VehicleReading['guess'] = null;
  if (options.fuzzy && make === null && known === null && (options.focus === 'make' || (options.focus === 'all' && year !== null))) {
    // An unknown make: the first word after the year (or the answer's first real word) may name it.
    const rest = collectModel(tokens, yearIndex >= 0 ? yearIndex + 1 : 0, skip);
    const first = rest[0];
    if (first !== undefined && !/^\d/.test(first)) {
      const guessModel = options.focus === 'all' ? rest.slice(1).join(' ') : '';
      guess = { make: first, model: guessModel === '' ? null : guessModel };
    }
  }
  return { year, make: make?.make ?? null, model: model.length > 0 ? model.join(' ') : null, guess };
}
