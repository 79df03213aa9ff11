import { meansCallerId } from '../../leads/normalize.js';
import { parseVehicle, type VehicleFocus, type VehicleParts } from './vehicleText.js';

/** What the agent asked for in one turn. */
export type Ask =
  | { kind: 'name'; part: 'full' | 'first' | 'last'; spell: boolean }
  | { kind: 'zip' }
  | { kind: 'phone' }
  | { kind: 'vehicle'; focus: VehicleFocus };

/** Values the agent said back in one turn ("A 2009 Honda Gold Wing.", "That's 404-555-0111"). */
export interface ReadBack {
  /** The name the agent thanked the caller by ("Thanks, John Carter."). */
  name?: string;
  zip?: string;
  phone?: string;
  vehicle?: VehicleParts;
}

/** One agent turn as the extractor reads it. */
export interface AgentTurn {
  /** The field the caller's next answer is about; null when the agent asked nothing we track. */
  readonly ask: Ask | null;
  readonly readBack: ReadBack;
  /** The agent asked the caller to confirm its read-back ("Is that right?"). */
  readonly confirming: boolean;
}

/** A yes/no question about what was just said ("Is that all correct?", "Did I get that right?"). */
const CONFIRM_SENTENCE =
  /^(?:and\s+|so\s+)?(?:(?:is|was|are|does|do|did|have|has)\b(?!\s+there\b)[^?]*\b(?:right|correct|accurate|sound good|look good|got that|get that|get it)\b|correct|right|yes)[\s,]*(?:sir|ma'am)?\??$/i;
const CONFIRM_TAIL = /(?:,|\s)\s*(?:is\s+that\s+(?:all\s+)?(?:right|correct)|correct|right|yes)\?$/i;

const PHONE_RE = /\(?\b\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}\b/;
const ZIP_RE = /\b\d{5}(?:-\d{4})?\b/;

/** Splits an agent turn into sentences, keeping the end punctuation. */
function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'])/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The field a question asks for, from its words. */
export function classifyQuestion(question: string): Ask | null {
  const q = question.toLowerCase();
  if (/\bspell\b/.test(q)) {
    const last = /\blast name\b|\bsurname\b/.test(q);
    // "your first and last name": both parts are asked for, so the answer is the whole name.
    const first = /\bfirst\b/.test(q);
    const part = last && first ? 'full' : last ? 'last' : first ? 'first' : 'full';
    return { kind: 'name', part, spell: true };
  }
  if (
    /\bzip\b|postal|lower (?:48|forty[- ]eight)|\blocated\b|where (?:is|'s) the (?:vehicle|bike)|mainland|continental|contiguous/.test(q) ||
    /\b(?:vehicle|bike|it) (?:is )?(?:somewhere|kept|stored|sitting)\b/.test(q)
  ) {
    return { kind: 'zip' };
  }
  if (/\bphone\b|\bnumber\b|reach you|call you|contact you|\bcell\b/.test(q)) return { kind: 'phone' };
  if (/\blast name\b|\bsurname\b/.test(q)) return { kind: 'name', part: 'last', spell: false };
  if (/\bfirst name\b/.test(q)) return { kind: 'name', part: 'first', spell: false };
  if (/\bname\b|who (?:am i|i'm) (?:speaking|talking) (?:with|to)|who(?:'s| is) (?:calling|this)/.test(q)) {
    return { kind: 'name', part: 'full', spell: false };
  }
  const year = /\byear\b/.test(q);
  const make = /\bmake\b|\bbrand\b|manufacturer/.test(q);
  const model = /\bmodel\b/.test(q);
  if (year && !make && !model) return { kind: 'vehicle', focus: 'year' };
  if (make && !year && !model) return { kind: 'vehicle', focus: 'make' };
  if (model && !year && !make) return { kind: 'vehicle', focus: 'model' };
  if (year || make || model || /vehicle|\bsell|\bbike\b|motorcycle|\batv\b|what (?:do you have|kind|are you)/.test(q)) {
    return { kind: 'vehicle', focus: 'all' };
  }
  return null;
}

/** "Thanks, John Carter." / "Great, Jake Turner." / "Thank you, Luis de la Cruz." (the agent opens with a capital). */
const THANKS_NAME =
  /^(?:[Tt]hanks|[Tt]hank you|[Gg]reat|[Gg]ot it|[Pp]erfect|[Oo]kay|O[Kk]|ok|[Nn]ice to meet you|[Ss]orry|[Mm]y apologies)[,!]?\s+((?:\p{Lu}[\p{L}'’-]*)(?:\s+(?:\p{Lu}[\p{L}'’-]*|de|la|del|van|von|da|di|du|le)){0,3})\s*[.,!]/u;

/** The values an agent sentence states (only exact makes: the agent spells them right). */
function readValues(sentence: string, now: Date): ReadBack {
  const out: ReadBack = {};
  const name = THANKS_NAME.exec(sentence)?.[1];
  if (name !== undefined) out.name = name;
  const phone = PHONE_RE.exec(sentence);
  if (phone) out.phone = phone[0];
  else if (meansCallerId(sentence) && /\b(?:use|calling from)\b/i.test(sentence)) out.phone = 'CALLER_ID';
  const zip = ZIP_RE.exec(phone ? sentence.replace(phone[0], ' ') : sentence);
  if (zip && !/\bzip code \d{5} is in\b/i.test(sentence)) out.zip = zip[0];
  const vehicle = parseVehicle(sentence, { focus: 'all', fuzzy: false, now });
  if (vehicle.make !== null || (vehicle.model !== null && vehicle.year !== null)) {
    out.vehicle = { year: vehicle.year, make: vehicle.make, model: vehicle.model };
  } else if (vehicle.year !== null && /^\d{4}$/.test(vehicle.year) && !out.zip && !out.phone) {
    out.vehicle = { year: vehicle.year, make: null, model: null };
  }
  return out;
}

const hasValues = (r: ReadBack): boolean => r.zip !== undefined || r.phone !== undefined || r.vehicle !== undefined;

/** The field a read-back is about; null for a summary of several, where only explicit corrections count. */
const askFor = (readBack: ReadBack): Ask | null =>
  [readBack.zip, readBack.phone, readBack.vehicle].filter((v) => v !== undefined).length > 1
    ? null
    : readBack.phone !== undefined ? { kind: 'phone' } : readBack.zip !== undefined ? { kind: 'zip' } : readBack.vehicle ? { kind: 'vehicle', focus: 'all' } : null;

/** Reads one agent turn: what it asks, what it reads back, and whether it wants the read-back confirmed. */
export function readAgentTurn(text: string, now: Date): AgentTurn {
  const all = sentences(text);
  const questionIndex = all.map((s) => s.endsWith('?')).lastIndexOf(true);
  const question = questionIndex >= 0 ? (all[questionIndex] ?? '') : '';
  const readBack: ReadBack = {};
  all.forEach((s, i) => {
    if (i === questionIndex && CONFIRM_SENTENCE.test(s)) return;
    Object.assign(readBack, readValues(s, now));
  });
  // The agent names the caller in passing; that is an acknowledgement, not a read-back to confirm.
  const values: ReadBack = { ...readBack };
  delete values.name;
  const confirming =
    question !== '' &&
    (CONFIRM_SENTENCE.test(question) || CONFIRM_TAIL.test(question) || hasValues(readValues(question, now)));
  if (confirming) return { ask: askFor(readValues(question, now)) ?? askFor(values), readBack, confirming: true };
  const ask = question !== '' ? classifyQuestion(question) : all.length > 0 ? classifyQuestion(all.at(-1) ?? '') : null;
  return { ask, readBack, confirming: false };
}
