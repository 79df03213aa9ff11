import { makeForKey } from '../../leads/lexicon/makes.js';
import { compactKey } from '../../leads/lexicon/editDistance.js';
import { spokenNumbersToDigits } from '../../leads/lexicon/numberWords.js';
import type { Ask } from './agentTurn.js';
import { parseZipAnswer, phoneFixInPassing, phoneInPassing } from './callerAnswers.js';
import { applyPhone, reject, setVehicle, type DraftLead } from './draftLead.js';
import { isCloseName, mergeName, parseNameAnswer } from './nameAnswer.js';
import { findSpelledWords } from './spelledNames.js';
import { parseVehicle, type VehicleReading } from './vehicleText.js';

/** Opens a correction of something said before ("Actually it's Steve", "no, my name is ..."). */
const CORRECTION_OPENER = /^(?:(?:oh|um|uh|hmm|sorry|wait|no|nope)[\s,]+)*(?:actually|no|nope|sorry|wait|my name is|my name's|it's actually)\b/i;

/** True when the caller's words open by taking back something ("no, ...", "actually, ..."). */
export const opensWithCorrection = (text: string): boolean => CORRECTION_OPENER.test(text.trim());

/** A year fixed while talking about something else: "sorry, it's actually a 2017", "the year is twenty twenty". */
const YEAR_FIX = /\b(?:actually|sorry|no|not|wrong|mistake|my bad|the year(?:'s| is| was)?)\b/i;

/** A vehicle answer: known parts at once; an unknown make only as a guess for the agent to read back. */
function applyVehicle(draft: DraftLead, reading: VehicleReading): void {
  setVehicle(draft, reading);
  if (reading.guess !== null) draft.makeGuess = reading.guess;
}

/** Reads the caller's answer to the question asked. */
function applyAnswer(draft: DraftLead, text: string, ask: Ask, now: Date): void {
  switch (ask.kind) {
    case 'name':
      draft.nameSaid += ` ${text}`;
      draft.name = mergeName(draft.name, parseNameAnswer(text), ask.part, draft.locked);
      return;
    case 'zip': {
      const zip = parseZipAnswer(text);
      if (zip !== null) draft.zip = zip;
      return;
    }
    case 'phone':
      applyPhone(draft, text);
      return;
    case 'vehicle':
      applyVehicle(draft, parseVehicle(text, { focus: ask.focus, fuzzy: true, now }));
      return;
  }
}

/** A correction of the name while the agent asked about something else: it must sound like the name so far. */
function applyNameCorrection(draft: DraftLead, text: string): void {
  if (draft.name.length === 0 || !opensWithCorrection(text)) return;
  const firstSentence = text.split(/(?<=[.!?])\s+/)[0] ?? '';
  const answer = parseNameAnswer(firstSentence);
  const capitalized = answer.words.every((w) => /^\p{Lu}/u.test(w));
  const resembles = answer.words.some((w) => draft.name.some((p) => isCloseName(w, p)));
  if (answer.words.length > 0 && capitalized && resembles) {
    draft.name = mergeName(draft.name, answer, 'full', draft.locked);
  }
}

/**
 * A name part spelled while the agent asked about something else ("the last name is S-M-Y-T-H-E"): the
 * caller's letters beat the recognizer's spelling of the part they stand for (the labelled one, else the part
 * that sounds like it).
 */
function applySpelledCorrection(draft: DraftLead, text: string): void {
  if (draft.name.length === 0) return;
  const spelled = findSpelledWords(text).words;
  const word = spelled.at(-1);
  if (word === undefined || spelled.length > 2) return;
  if (spelled.length === 2 && /\bname\b/i.test(text)) {
    draft.name = [...spelled];
    spelled.forEach((s) => draft.locked.add(s));
    return;
  }
  const part = /\b(?:last name|surname)\b/i.test(text) ? 'last' : /\bfirst name\b/i.test(text) ? 'first' : null;
  if (part === null && !draft.name.some((p) => isCloseName(word, p))) return;
  draft.name = mergeName(draft.name, { words: [], spelled: [word] }, part ?? 'full', draft.locked);
}

/** "Hi, I'm Jake Turner, I want to sell ..." when no one asked for the name yet. */
const NAME_INTRO = /\b(?:my name is|my name's|the name's|this is|i'm|i am)\s+(.*)$/i;

function applyNameIntro(draft: DraftLead, text: string): void {
  if (draft.name.length > 0) return;
  const rest = NAME_INTRO.exec(text)?.[1];
  if (rest === undefined) return;
  const words = parseNameAnswer(rest.split(/[,.;!?]/)[0] ?? '').words;
  if (words.length >= 2 && words.every((w) => /^\p{Lu}/u.test(w) || w.length <= 3)) {
    // "Katelyn Brooks, that's K-A-T-L-Y-N": the letters spelled along with the name are its spelling.
    const spelled = findSpelledWords(rest).words;
    draft.name = spelled.length > 0 ? mergeName(words, { words, spelled }, 'full', draft.locked) : words;
  }
}

/** Values the caller says are wrong ("not a Kawasaki", "not 2016"): a read-back never brings them back. */
function applyNegations(draft: DraftLead, text: string, now: Date): void {
  const spoken = spokenNumbersToDigits(text, 'number');
  for (const m of spoken.matchAll(/\bnot\s+(?:a\s+|an\s+|the\s+)?((?:'?\d{2,5}\b)|[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*)?)/gi)) {
    const said = m[1] ?? '';
    if (/^\d{5}$/.test(said)) reject(draft, 'zip', said);
    else if (/^'?\d{2,4}$/.test(said)) {
      const year = parseVehicle(said, { focus: 'year', fuzzy: false, now }).year;
      if (year !== null) reject(draft, 'year', year);
    } else {
      const words = said.split(/\s+/);
      const make = makeForKey(compactKey(words.join(''))) ?? makeForKey(compactKey(words[0] ?? ''));
      if (make !== null) reject(draft, 'make', make);
    }
  }
}

/** Values a caller volunteers while answering something else ("30093, and my cell is 404-555-0111"). */
function applyInPassing(draft: DraftLead, text: string, ask: Ask | null, now: Date): void {
  if (ask?.kind !== 'name') {
    applyNameCorrection(draft, text);
    applyNameIntro(draft, text);
    applySpelledCorrection(draft, text);
  }
  if (ask?.kind !== 'phone') {
    const phone = phoneInPassing(text) ?? (draft.phone === null ? null : phoneFixInPassing(draft.phone, text));
    if (phone !== null) draft.phone = phone;
  }
  if (ask?.kind !== 'zip') {
    const afterZip = /\bzip(?:\s+code)?\b(.*)$/i.exec(text)?.[1];
    const zip = afterZip === undefined ? null : parseZipAnswer(afterZip);
    if (zip !== null) draft.zip = zip;
  }
  if (ask?.kind !== 'vehicle' && ask?.kind !== 'name') {
    const parts = parseVehicle(text, { focus: 'all', fuzzy: false, now });
    if (parts.make !== null) setVehicle(draft, parts);
  }
  if ((ask === null || ask.kind === 'name') && draft.vehicle.year !== null && YEAR_FIX.test(text)) {
    // A correction that names no vehicle changes only what it names: here, the year (digits of a phone or ZIP
    // answer are never read as one).
    const parts = parseVehicle(text, { focus: 'all', fuzzy: false, now });
    if (parts.make === null && parts.year !== null && /^\d{4}$/.test(parts.year)) draft.vehicle.year = parts.year;
  }
  applyNegations(draft, text, now);
}

/**
 * Reads one caller turn into the draft. `inPassingOnly`: the turn accepted a read-back, so only what it adds
 * besides counts. `answerOnly`: read it as the answer to `ask` and nothing else (a second reading of one turn).
 */
export function readCallerTurn(
  draft: DraftLead,
  text: string,
  ask: Ask | null,
  now: Date,
  options: { inPassingOnly: boolean; answerOnly?: boolean },
): void {
  if (!options.inPassingOnly) {
    if (ask !== null) applyAnswer(draft, text, ask, now);
    else if (draft.partialPhone !== '') applyPhone(draft, text);
  }
  if (options.answerOnly !== true) applyInPassing(draft, text, ask, now);
}
