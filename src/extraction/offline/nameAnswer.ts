import { editDistance } from '../../leads/lexicon/editDistance.js';
import { stripNameFillers } from '../../leads/fullName.js';
import { digitsIn } from '../../leads/lexicon/numberWords.js';
import { findSpelledWords } from './spelledNames.js';

/** Words that are talk around a name, never part of it. */
const NOT_NAME = new Set([
  'and', 'i', "i'm", 'im', 'my', 'is', 'calling', 'about', 'the', 'a', 'an', 'to', 'for', 'want', 'wanna', 'sell',
  'selling', 'bike', 'it', "it's", 'its', 'from', 'with', 'sorry', 'no', 'nope', 'not', 'actually', 'please', 'that',
  "that's", 'yes', 'yeah', 'correct', 'right', 'spelled', 'spell', 'last', 'first', 'name', 'as', 'in', 'wait',
  'um', 'uh', 'hi', 'hello', 'hey', 'sure', 'okay', 'ok', 'well', 'so', 'but', 'like', 'just', 'was', 'be', 'me',
  'you', 'your', 'here', 'there', 'this', 'what', 'who', 'how', 'can', 'have', 'got', 'get', 'do', 'thanks',
  'thank', 'oh', 'mister', 'mr', 'mrs', 'ms', 'miss', 'dr', 'sir', "ma'am", 'by', 'on', 'of', 'at', 'or', 'if',
  'then', 'we', 'our', 'he', 'she', 'they', 'his', 'her', 'their', 'name', 'names', 'called', 'call', 'go', 'goes',
  // Words that open a sentence (so they come capitalized) but are never a name.
  'hold', 'hang', 'give', 'let', 'could', 'would', 'where', 'when', 'why', 'maybe', 'one', 'second',
  'minute', 'sec', 'listen', 'look', 'hmm', 'excuse', 'pardon', 'nevermind', 'never', 'bye', 'goodbye', 'good',
  'fine', 'great', 'cool', 'wrong', 'number', 'speak', 'talk', 'hear', 'can\'t', 'don\'t', 'didn\'t', 'what\'s',
  'gotta', 'need', 'going', 'busy', 'driving', 'later', 'again', 'repeat', 'say', 'said', 'yep', 'yup', 'nah',
]);

/**
 * Words that open the next field when a caller runs on past the name ("marcus whitfield zip is four six ...",
 * "tasha greenwood three oh zero ..."): the name ends before them.
 */
const NEXT_FIELD = new Set([
  'zip', "zip's", 'zipcode', 'postal', 'code', 'phone', "phone's", 'cell', "cell's", 'mobile', 'number', "number's",
  'area', 'email', 'address', 'vehicle', 'year', 'model', 'make',
]);

/** A spoken number word ("three", "twenty"): a name never holds one, so it starts the next field. */
const isNumberWord = (lower: string): boolean => /^\d+$/.test(digitsIn(lower));

/** The name words and the spelled words one answer holds. */
export interface NameAnswer {
  readonly words: string[];
  readonly spelled: string[];
}

/** "I've", "we're", "don't": contractions are talk, whatever their case. */
const CONTRACTION = /^(?:i|you|we|they|he|she|it|that|there|what|who|let|where)['’](?:ve|ll|d|re|s|m)$|n['’]t$/;

/** Two letters at least: a lone letter is an initial or spelling noise ("Jon, no H"). */
const NAME_WORD = /^\p{L}[\p{L}'’-]+\.?$/u;

const PARTICLES = new Set(['de', 'la', 'del', 'della', 'van', 'von', 'der', 'den', 'da', 'di', 'du', 'le', 'dos', 'das', 'y', 'bin', 'al']);

/**
 * The run of name-like words that opens a clause, after its lead-in ("my name is"). When the transcript uses
 * capitals, a name word must start with one (particles aside); common words ("Hold on") never count.
 */
function nameWordsOf(clause: string, cased: boolean): string[] {
  const all = stripNameFillers(clause).split(/\s+/).filter((x) => x !== '');
  const words: string[] = [];
  for (const w of all) {
    const lower = w.toLowerCase();
    const particle = words.length > 0 && PARTICLES.has(lower);
    if (!NAME_WORD.test(w) || NOT_NAME.has(lower) || CONTRACTION.test(lower) || (cased && !particle && !/^\p{Lu}/u.test(w))) break;
    if (NEXT_FIELD.has(lower) || isNumberWord(lower)) break;
    words.push(w.replace(/\.$/, ''));
  }
  while (words.length > 0 && PARTICLES.has((words.at(-1) ?? '').toLowerCase())) words.pop();
  return words.slice(0, 4);
}

/** Reads a name answer: "this is Dave, Dave Smith" -> Dave Smith; "Sure, it's K-O-W-A-L" -> spelled Kowal. */
export function parseNameAnswer(text: string): NameAnswer {
  const { words: spelled, rest } = findSpelledWords(text);
  // "Mike, last name Brown" / "first name is Ann, last name is Lee": the labels say which part is which.
  const first = /\bfirst name(?:'s|\s+is)?[\s,]+(\p{L}[\p{L}'’-]*)/iu.exec(rest)?.[1];
  const last = /\b(?:last name|surname)(?:'s|\s+is)?[\s,]+(\p{L}[\p{L}'’-]*)/iu.exec(rest)?.[1];
  if (last !== undefined && !NOT_NAME.has(last.toLowerCase())) {
    const before = rest.slice(0, rest.search(/\b(?:last name|surname)\b/i));
    const cased = /\p{Lu}/u.test(rest);
    const clauses = before.split(/[,.;!?]+/).filter((c) => nameWordsOf(c, cased).length > 0);
    const firstWord = first ?? nameWordsOf(clauses.at(-1) ?? '', cased)[0];
    return { words: firstWord !== undefined ? [firstWord, last] : [last], spelled };
  }
  const cased = /\p{Lu}/u.test(rest);
  let best: string[] = [];
  const seen: string[] = [];
  for (const clause of rest.split(/[,.;!?]+/)) {
    const words = nameWordsOf(clause, cased);
    if (words.length >= best.length && words.length > 0) best = words;
    for (const w of words) if (!seen.some((x) => x.toLowerCase() === w.toLowerCase())) seen.push(w);
  }
  // One word per clause ("John, uh, Carter"; "Siobhan, S-I-O-B-H-A-N, Murphy"): the clauses together are the name.
  if (best.length <= 1 && seen.length > 1) best = seen.slice(0, 4);
  if (best.length < 2) best = introducedName(rest, cased) ?? best;
  return { words: best, spelled };
}

/** "my name is", "I'm", "this is" inside a clause, where a story before the name ends. */
const LATE_INTRO = /\b(?:my\s+(?:full\s+)?name(?:'s|\s+is)|the\s+name(?:'s|\s+is)|this\s+is|i['’]m|i\s+am)\s+/giu;

/**
 * The name after the last introduction in the answer ("my buddy told me to call ... anyway I'm Derek Yates"),
 * when it has a first and a last name; null otherwise.
 */
function introducedName(text: string, cased: boolean): string[] | null {
  let found: string[] | null = null;
  for (const m of text.matchAll(LATE_INTRO)) {
    const clause = text.slice(m.index + m[0].length).split(/[,.;!?]+/)[0] ?? '';
    const words = nameWordsOf(clause, cased);
    if (words.length >= 2) found = words;
  }
  return found;
}

const similarity = (a: string, b: string): number => editDistance(a.toLowerCase(), b.toLowerCase());

/** Index of the part of a name closest to a word, and how far it is. */
function closestPart(parts: readonly string[], word: string): { index: number; distance: number } {
  let best = { index: -1, distance: Number.POSITIVE_INFINITY };
  parts.forEach((p, index) => {
    const distance = similarity(p, word);
    if (distance < best.distance) best = { index, distance };
  });
  return best;
}

/** Whether a new word could be the recognizer's version of a spelled one ("Kovalchick" for "Kowalczyk"). */
const soundsLike = (word: string, spelled: string): boolean =>
  word.charAt(0).toLowerCase() === spelled.charAt(0).toLowerCase() || similarity(word, spelled) <= Math.ceil(spelled.length / 2);

/** Whether two name words could be one name said or heard differently ("Steven"/"Steve", "Clark"/"Clarke"). */
export function isCloseName(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || (x.charAt(0) === y.charAt(0) && similarity(x, y) <= Math.max(1, Math.floor(Math.min(x.length, y.length) / 2)));
}

/**
 * Merges what the caller just said about their name into the name so far. `part` is what the agent asked
 * for; `locked` holds words the caller spelled, which later unspelled versions never replace.
 */
export function mergeName(
  current: readonly string[],
  answer: NameAnswer,
  part: 'full' | 'first' | 'last',
  locked: Set<string>,
): string[] {
  const keepSpelled = (words: string[]): string[] =>
    words.map((w) => [...locked].find((s) => soundsLike(w, s) && similarity(w, s) <= Math.ceil(s.length / 2)) ?? w);
  for (const s of answer.spelled) locked.add(s);
  if (part === 'last' || part === 'first') {
    const word = answer.spelled.at(-1) ?? (part === 'last' ? answer.words.at(-1) : answer.words[0]);
    if (word === undefined) return [...current];
    if (current.length === 0) return answer.words.length > 1 && answer.spelled.length === 0 ? keepSpelled(answer.words) : [word];
    if (part === 'first') return [word, ...current.slice(1)];
    return current.length === 1 ? [...current, word] : [...current.slice(0, -1), word];
  }
  if (answer.spelled.length >= 2) return [...answer.spelled];
  const base = answer.words.length >= 2 || current.length === 0 ? keepSpelled(answer.words) : [...current];
  const single = answer.spelled[0] ?? (answer.words.length === 1 ? answer.words[0] : undefined);
  if (single === undefined) return base;
  if (base.length === 0) return [single];
  const closest = closestPart(base, single);
  const close = closest.distance <= Math.max(2, Math.ceil(single.length / 2));
  if (answer.spelled.length === 1 && answer.words.length >= 2) {
    // Spelled along with the name: it replaces the part that sounds like it, else the last name.
    const index = close ? closest.index : base.length - 1;
    return base.map((w, i) => (i === index ? single : w));
  }
  if (close && answer.spelled.length === 0 && locked.has(base[closest.index] ?? '')) return base;
  if (close) return base.map((w, i) => (i === closest.index ? single : w));
  if (base.length === 1) return [...base, single];
  return answer.spelled.length === 1 ? [...base.slice(0, -1), single] : base;
}
