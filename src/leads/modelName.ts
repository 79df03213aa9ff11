import { compactKey } from './editDistance.js';
import { modelForKey, trimForKey } from './models.js';

/** A model name as the manufacturer writes it, and the make it implies (null when unknown or ambiguous). */
export interface FormattedModel {
  readonly text: string;
  readonly impliedMake: string | null;
}

const MAX_MODEL_WORDS = 3;

/** One word of a model cased: "z900" -> "Z900", "grizzly" -> "Grizzly", "RZR" stays. */
function caseModelWord(word: string): string {
  const trim = trimForKey(compactKey(word));
  if (trim !== null) return trim;
  if (/\d/.test(word) && /[a-z]/i.test(word)) return word.toUpperCase();
  if (/^[a-z]+$/.test(word)) return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}

/** Spells a model the manufacturer's way ("goldwing" -> "Gold Wing", "rzr xp 1000" -> "RZR XP 1000", "mt 07" -> "MT-07"). */
export function formatModel(words: readonly string[]): FormattedModel {
  const out: string[] = [];
  let impliedMake: string | null = null;
  let ambiguous = false;
  for (let i = 0; i < words.length; ) {
    let matched = false;
    for (let n = Math.min(MAX_MODEL_WORDS, words.length - i); n >= 1 && !matched; n--) {
      const found = modelForKey(compactKey(words.slice(i, i + n).join('')));
      // A bare number ("883", "48") is never a model by itself: it stays a number.
      if (found === null || /^\d+$/.test(words.slice(i, i + n).join(''))) continue;
      out.push(found.text);
      if (found.make === null) ambiguous = true;
      else impliedMake ??= found.make;
      i += n;
      matched = true;
    }
    if (!matched) {
      out.push(caseModelWord(words[i] ?? ''));
      i += 1;
    }
  }
  return { text: out.join(' ').trim(), impliedMake: ambiguous && impliedMake === null ? null : impliedMake };
}
