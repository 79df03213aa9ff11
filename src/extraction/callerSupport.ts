import { LEAD_FIELDS, type Conversation, type ExtractionResult, type LeadField, type Turn } from '../leads/lead.js';
import { compactKey, editDistance } from '../leads/lexicon/editDistance.js';
import { digitsIn, spokenNumbersToDigits } from '../leads/lexicon/numberWords.js';
import { meansCallerId } from '../leads/normalize.js';
import { isAffirmation } from './offline/callerAnswers.js';

/** Why a reader's value was dropped: nothing the caller said (or confirmed) carries it. */
export const UNSUPPORTED_REASON = 'not supported by anything the caller said';

export { hasCallerTurn } from './offline/extractOffline.js';

/** What a value may rest on: every caller turn, and each agent read-back the caller then confirmed (by index). */
function evidenceTurns(turns: readonly Turn[]): number[] {
  const evidence: number[] = [];
  turns.forEach((turn, i) => {
    if (turn.role === 'user') evidence.push(i);
    else if (turns[i + 1]?.role === 'user' && isAffirmation(turns[i + 1]?.text ?? '')) evidence.push(i);
  });
  return evidence;
}

function evidenceOf(turns: readonly Turn[]): string[] {
  return evidenceTurns(turns).map((i) => turns[i]?.text ?? '');
}

/** A digit field (ZIP, phone, year) is supported when its digits were said, in one turn or across turns. */
function digitsSupported(digits: string, evidence: readonly string[]): boolean {
  const said = evidence.map((text) => digitsIn(spokenNumbersToDigits(text, 'digits')));
  const asNumbers = evidence.map((text) => digitsIn(spokenNumbersToDigits(text, 'number')));
  return said.some((d) => d.includes(digits)) || asNumbers.some((d) => d.includes(digits)) || said.join('').includes(digits);
}

/** A word is supported when it was said (tolerating one slip in a longer word), or spelled out letter by letter. */
function wordSupported(word: string, evidenceWords: readonly string[], evidenceKey: string): boolean {
  const key = compactKey(word);
  if (key === '') return true;
  if (evidenceKey.includes(key)) return true;
  const slack = key.length >= 5 ? 1 : 0;
  return slack > 0 && evidenceWords.some((w) => Math.abs(w.length - key.length) <= slack && editDistance(w, key) <= slack);
}

function textSupported(value: string, evidence: readonly string[]): boolean {
  const text = evidence.map((t) => spokenNumbersToDigits(t, 'number')).join(' ');
  const evidenceKey = compactKey(text);
  const evidenceWords = text.split(/[^A-Za-z0-9]+/).map(compactKey).filter((w) => w !== '');
  return value.split(/[\s-]+/).every((word) => wordSupported(word, evidenceWords, evidenceKey));
}

/**
 * The fields of `result` that nothing the caller said (or a read-back they confirmed) supports: a reader that
 * answers what no one said (an LLM given an empty or unrelated transcript) is not taken at its word. The phone is
 * also supported by the caller ID when the caller asked to use the number they call from.
 */
function valueSupported(field: LeadField, value: string | number, evidence: readonly string[], conversation: Conversation): boolean {
  switch (field) {
    case 'zip_code':
      return digitsSupported(String(value), evidence);
    case 'phone': {
      const national = String(value).replace(/^\+1/, '');
      const callerId = conversation.callerPhone ?? null;
      const viaCallerId = callerId !== null && callerId.endsWith(national) && evidence.some((t) => meansCallerId(t));
      return viaCallerId || digitsSupported(national, evidence);
    }
    case 'vehicle_year': {
      const year = String(value);
      return digitsSupported(year, evidence) || digitsSupported(year.slice(2), evidence);
    }
    default:
      return textSupported(String(value), evidence);
  }
}

/**
 * The turns (indices) a value rests on: caller turns, or read-backs the caller confirmed, that say it. A value said
 * across several turns (digits in groups) is found in none of them alone; the answer is then empty.
 */
export function supportingTurns(field: LeadField, value: string | number, conversation: Conversation): number[] {
  return evidenceTurns(conversation.turns).filter((i) => {
    const text = conversation.turns[i]?.text ?? '';
    if (field === 'phone' && meansCallerId(text)) return (conversation.callerPhone ?? '').endsWith(String(value).replace(/^\+1/, ''));
    return valueSupported(field, value, [text], { ...conversation, callerPhone: null });
  });
}

export function unsupportedFields(result: ExtractionResult, conversation: Conversation): LeadField[] {
  const evidence = evidenceOf(conversation.turns);
  const { lead } = result;
  return LEAD_FIELDS.filter((field) => {
    const value = lead[field];
    return value !== null && !valueSupported(field, value, evidence, conversation);
  });
}

/**
 * `result` without the fields nothing the caller said supports. A dropped field takes the `fallback` reading's value
 * when it has one (the offline reader only takes what the caller said); otherwise it becomes missing, with the reason.
 */
export function withoutUnsupported(result: ExtractionResult, conversation: Conversation, fallback?: ExtractionResult): ExtractionResult {
  const dropped = unsupportedFields(result, conversation);
  if (dropped.length === 0) return result;
  const lead = { ...result.lead };
  const reasons = { ...result.reasons };
  let errors = result.errors.filter((field) => !dropped.includes(field));
  for (const field of dropped) {
    const other = fallback?.lead[field] ?? null;
    if (fallback !== undefined && other !== null) {
      (lead as Record<LeadField, unknown>)[field] = other;
      const reason = fallback.reasons[field];
      if (reason === undefined) delete reasons[field];
      else reasons[field] = reason;
      if (fallback.errors.includes(field)) errors = [...errors, field];
      continue;
    }
    lead[field] = null;
    reasons[field] = UNSUPPORTED_REASON;
  }
  const missing = LEAD_FIELDS.filter((field) => lead[field] === null);
  return { lead, complete: missing.length === 0 && errors.length === 0, errors, missing, reasons };
}
