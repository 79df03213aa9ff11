import { editDistance } from './editDistance.js';
import { stripNameFillers } from './fullName.js';
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
]);

/** The name words and the spelled words one answer holds. */
export interface NameAnswer {
  readonly words: string[];
  readonly spelled: string[];
}

const NAME_WORD = /^\p{L}[\p{L}'’-]*\.?$/u;

/** The longest run of name-like words in one clause, after its lead-in ("my name is"). */
function nameWordsOf(clause: string): string[] {
  const words: string[] = [];
  for (const w of stripNameFillers(clause).split(/\s+/).filter((x) => x !== '')) {
    if (!NAME_WORD.test(w) || NOT_NAME.has(w.toLowerCase())) {
      if (words.length > 0) break;
      continue;
    }
    words.push(w.replace(/\.$/, ''));
  }
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
    const firstWord = first ?? nameWordsOf(before.split(/[,.;!?]+/).filter((c) => nameWordsOf(c).length > 0).at(-1) ?? '')[0];
    return { words: firstWord !== undefined ? [firstWord, last] : [last], spelled };
  }
  let best: string[] = [];
  for (const clause of rest.split(/[,.;!?]+/)) {
    const words = nameWordsOf(clause);
    if (words.length >= best.length && words.length > 0) best = words;
  }
  return { words: best, spelled };
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
  return x === y || ((x.startsWith(y.slice(0, 3)) || y.startsWith(x.slice(0, 3))) && similarity(x, y) <= Math.max(2, Math.floor(Math.min(x.length, y.length) / 2)));
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
