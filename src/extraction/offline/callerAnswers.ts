import { meansCallerId } from '../../leads/normalize.js';
import { spokenNumbersToDigits } from '../../leads/lexicon/numberWords.js';

/** "Yes", "yep, that's the one", "correct": the caller accepts what the agent read back. */
const AFFIRM =
  /^(?:(?:uh|um|oh|well|okay|ok)[\s,]+)*(?:(?:yes|yeah|yep|yup|yah|ya|correct|right|exactly|uh[\s-]?huh|mm[\s-]?hmm|sure|affirmative|perfect|absolutely|definitely|you got it|you bet|that's (?:right|correct|it|the one)|that is (?:right|correct)|sounds (?:good|right)|all correct|looks good|there (?:you|ya) go|spot on|(?:you )?nailed it|bingo|that is it|that works)\b)/i;
/** Words that turn an answer into a correction. */
const CORRECTION = /\b(?:no|nope|nah|not|actually|wait|but|except|sorry|instead|make that|change)\b/i;

/** True when the answer accepts the read-back without changing anything. */
export function isAffirmation(text: string): boolean {
  const t = text.trim();
  return AFFIRM.test(t) && !CORRECTION.test(t);
}

/** True for "yes, but ...": the read-back is accepted apart from a change that follows. */
export function startsWithYesBut(text: string): boolean {
  return /^(?:yes|yeah|yep|correct|right)\b[\s,]*(?:but|except)\b/i.test(text.trim());
}

/** True when the caller declines to give something ("I'd rather not", "no phone"). */
export function isRefusal(text: string): boolean {
  return /\b(?:rather not|prefer not|don't want to|do not want to|not comfortable|no thanks|won't give|not giving|skip)\b/i.test(text);
}

const PHONE_IN_TEXT = /(?:\+?1[\s.-]*)?\(?\b\d{3}\)?[\s.-]*\d{3}[\s.-]*\d{4}\b/;

const PART_OF_NUMBER = /\b(?:last|first|final|ending)\s+(?:three|four|seven|3|4|7)(?:\s+digits)?\b/gi;

/** "0191, not 0199": digits the caller says are wrong (in text whose numbers are already digits). */
const NEGATED_DIGITS = /\bnot\s+\d[\d\s.-]*/gi;
const dropNegatedDigits = (spoken: string): string => spoken.replace(NEGATED_DIGITS, ' ');

/** A phone answer: the caller's own line, the digits given (possibly only some of them), or nothing. */
export type PhoneAnswer = { kind: 'callerId' } | { kind: 'digits'; digits: string } | null;

/** Reads a phone answer ("404-555-0111", "four oh four ...", "+1 404 ...", "the number I'm calling from"). */
export function parsePhoneAnswer(text: string): PhoneAnswer {
  if (meansCallerId(text)) return { kind: 'callerId' };
  if (isRefusal(text)) return null;
  // "the last four are ..." names a part of the number; its "four" is not a digit of it.
  const spoken = dropNegatedDigits(spokenNumbersToDigits(text.replace(PART_OF_NUMBER, ' '), 'digits'));
  let digits = spoken.replace(/\D/g, '');
  if (digits.length > 11) digits = (PHONE_IN_TEXT.exec(spoken)?.[0] ?? '').replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  return digits.length === 0 ? null : { kind: 'digits', digits };
}

/** A phone number said in passing while answering something else ("my cell is 404-555-0111"). */
export function phoneInPassing(text: string): string | null {
  const spoken = spokenNumbersToDigits(text, 'digits');
  const m = PHONE_IN_TEXT.exec(spoken);
  if (m !== null) return m[0].replace(/\D/g, '').replace(/^1(?=\d{10}$)/, '');
  if (/\b(?:my|the)\s+(?:cell|number|phone)(?:\s+number)?\s+is\b/i.test(text)) {
    const digits = spoken.replace(/\D/g, '');
    if (digits.length === 10) return digits;
  }
  return null;
}

/** The caller talks about the phone ("that phone number", "my cell"), so digits that follow are about it. */
const PHONE_MENTION = /\b(?:phone|(?<!\b(?:vin|serial|model|part|stock|engine|frame|hull|lot)\s+)number|cell|area code)\b/i;

/**
 * A fix to part of the phone said while answering something else ("oh and that phone number, the last four
 * are 0191 not 0199"; "the area code on my phone is 770"): the number `current` with the fix applied, or null
 * when the text fixes no part of it. Only a named part counts, so digits about the vehicle never touch it.
 */
export function phoneFixInPassing(current: string, text: string): string | null {
  const at = text.search(PHONE_MENTION);
  // The number may be as the agent read it back ("318-555-0199").
  const number = current.replace(/\D/g, '');
  if (at < 0 || number.length !== 10) return null;
  const about = text.slice(at);
  const digits = dropNegatedDigits(spokenNumbersToDigits(about.replace(PART_OF_NUMBER, ' '), 'digits')).replace(/\D/g, '');
  if (/\barea code\b/i.test(about)) return digits.length === 3 ? digits + number.slice(3) : null;
  if (/\b(?:last|ends?|ending)\b/i.test(about) && digits.length >= 3 && digits.length <= 7) {
    return number.slice(0, 10 - digits.length) + digits;
  }
  return null;
}

/** Reads a ZIP answer: the last ZIP given that the caller did not reject ("not 85004, 85008" -> 85008). */
export function parseZipAnswer(text: string): string | null {
  const spoken = spokenNumbersToDigits(text, 'digits');
  let chosen: string | null = null;
  for (const m of spoken.matchAll(/(\bnot\s+)?\b(\d{5})(?:-\d{4})?\b/gi)) {
    if (m[1] === undefined && m[2] !== undefined) chosen = m[2];
  }
  if (chosen !== null) return chosen;
  // Digits said in groups ("nine oh two, one oh") make one ZIP when there are exactly five of them (or a ZIP+4).
  const digits = spoken.replace(/\D/g, '');
  return digits.length === 5 || digits.length === 9 ? digits.slice(0, 5) : null;
}
