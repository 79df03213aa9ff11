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
  // Short letter groups without a vowel are initials ("rt", "xp", "gs").
  if (/^[b-df-hj-np-tv-z]{2,3}$/.test(word)) return word.toUpperCase();
  if (/^[a-z]+$/.test(word)) return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}

/**
 * Families whose displacement is written joined to the letters, suffix included ("CRF 250 R" -> "CRF250R",
 * "YZ 250 F" -> "YZ250F", "KX 450" -> "KX450"), as the manufacturers print them.
 */
const JOINED_FAMILIES = new Set([
  'CRF', 'CR', 'XR', 'TRX', 'CBR', 'CB', 'YZ', 'YZF', 'WR', 'TTR', 'TW', 'YFZ', 'YFM', 'KX', 'KLX', 'KFX', 'Z', 'RM',
  'RMZ', 'DR', 'DRZ', 'SV', 'LTZ', 'LTR', 'XT', 'FZ', 'KLR', 'GSXR', 'GSX-R', 'PW', 'TT', 'XL', 'VTX', 'FXR',
  'YXZ',
]);

/** Joins "CRF", "250", "R" into "CRF250R" where the family is written that way; "ZX 6 R" is Kawasaki's "ZX-6R". */
function joinFamilies(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const next = words[i + 1];
    if (word.toUpperCase() === 'ZX' && next !== undefined && /^\d{1,2}$/.test(next)) {
      const suffix = words[i + 2];
      const r = suffix !== undefined && /^r{1,2}$/i.test(suffix) ? suffix.toUpperCase() : '';
      out.push(`ZX-${next}${r}`);
      i += r === '' ? 1 : 2;
      continue;
    }
    // Only a model that starts with the family: in "Prowler XT 650" XT is a trim, not a family.
    if (i === 0 && JOINED_FAMILIES.has(word.toUpperCase()) && next !== undefined && /^\d{2,4}$/.test(next)) {
      let joined = word.toUpperCase() + next;
      i += 1;
      const suffix = words[i + 1];
      if (suffix !== undefined && /^(?:r|rr|f|x|l|s|x-?c|sx|fx|rx)$/i.test(suffix)) {
        joined += suffix.toUpperCase();
        i += 1;
      }
      out.push(joined);
    } else out.push(word);
  }
  return out;
}

/** A make's name for its whole watercraft line, said before the model. */
const LINE_NAMES = new Set(['WaveRunner', 'Jet Ski']);

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
  // "WaveRunner FX Cruiser SVHO", "Jet Ski Ultra 310": the product line names no model; what follows does.
  if (out.length > 1 && LINE_NAMES.has(out[0] ?? '')) out.shift();
  return { text: joinFamilies(out).join(' ').trim(), impliedMake: ambiguous && impliedMake === null ? null : impliedMake };
}
