import { compactKey } from '../../leads/lexicon/editDistance.js';
import { CALLER_ID } from '../../leads/normalize.js';
import type { ReadBack } from './agentTurn.js';
import { parsePhoneAnswer } from './callerAnswers.js';
import type { VehicleParts } from './vehicleText.js';

/** The fields a read-back can carry, as the draft keeps them. */
export type DraftField = 'name' | 'zip' | 'phone' | 'year' | 'make' | 'model';

/** The lead as the conversation goes: raw values, the last one the caller gave or confirmed winning. */
export interface DraftLead {
  name: string[];
  /** Name words the caller spelled out; a later recognizer spelling of the same word does not replace them. */
  locked: Set<string>;
  /** Everything the caller said when asked for the name, to check the agent's spelling of it against. */
  nameSaid: string;
  zip: string | null;
  phone: string | null;
  /** Phone digits given so far when the caller reads the number over more than one turn. */
  partialPhone: string;
  vehicle: VehicleParts;
  /** A word the caller put where a make goes that is no known make: it waits for the agent's confirmed read-back. */
  makeGuess: { readonly make: string; readonly model: string | null } | null;
  /** Values (as `valueKey`) the caller turned down when the agent read them back: no read-back brings them back. */
  rejected: Record<DraftField, string[]>;
}

export const emptyDraft = (): DraftLead => ({
  name: [],
  locked: new Set(),
  nameSaid: '',
  zip: null,
  phone: null,
  partialPhone: '',
  vehicle: { year: null, make: null, model: null },
  makeGuess: null,
  rejected: { name: [], zip: [], phone: [], year: [], make: [], model: [] },
});

/** A copy that shares nothing mutable with the original (strings and the guess are immutable). */
export const cloneDraft = (d: DraftLead): DraftLead => ({
  ...d,
  name: [...d.name],
  locked: new Set(d.locked),
  vehicle: { ...d.vehicle },
  rejected: {
    name: [...d.rejected.name],
    zip: [...d.rejected.zip],
    phone: [...d.rejected.phone],
    year: [...d.rejected.year],
    make: [...d.rejected.make],
    model: [...d.rejected.model],
  },
});

/** How two spellings of one value compare: phones and ZIPs by digits, the rest by letters and digits. */
export function valueKey(field: DraftField, value: string): string {
  if (field === 'phone' || field === 'zip') return value.replace(/\D/g, '') || value;
  // "'19", "19" and "2019" are one year as said; the century is the normalizer's business.
  if (field === 'year') return compactKey(value).slice(-2);
  return compactKey(value);
}

/** The draft's value of a field as one string (null when empty). */
export function draftValue(d: DraftLead, field: DraftField): string | null {
  switch (field) {
    case 'name':
      return d.name.length > 0 ? d.name.join(' ') : null;
    case 'zip':
      return d.zip;
    case 'phone':
      return d.phone;
    default:
      return d.vehicle[field];
  }
}

/** The read-back's value of a field (null when it has none). */
export function readBackValue(r: ReadBack, field: DraftField): string | null {
  switch (field) {
    case 'name':
      return r.name ?? null;
    case 'zip':
      return r.zip ?? null;
    case 'phone':
      return r.phone ?? null;
    default:
      return r.vehicle?.[field] ?? null;
  }
}

export const DRAFT_FIELDS: readonly DraftField[] = ['name', 'zip', 'phone', 'year', 'make', 'model'];

const isRejected = (d: DraftLead, field: DraftField, value: string | null | undefined): boolean =>
  value !== null && value !== undefined && d.rejected[field].includes(valueKey(field, value));

/** Marks a value as turned down; when the draft holds it, the field is emptied (a guess is better than a wrong value). */
export function reject(d: DraftLead, field: DraftField, value: string): void {
  const key = valueKey(field, value);
  if (!d.rejected[field].includes(key)) d.rejected[field].push(key);
  const current = draftValue(d, field);
  if (current === null || valueKey(field, current) !== key) return;
  if (field === 'name') d.name = [];
  else if (field === 'zip') d.zip = null;
  else if (field === 'phone') d.phone = null;
  else d.vehicle[field] = null;
}

export const setVehicle = (d: DraftLead, parts: VehicleParts): void => {
  if (parts.year !== null) d.vehicle.year = parts.year;
  if (parts.make !== null) d.vehicle.make = parts.make;
  if (parts.model !== null) d.vehicle.model = parts.model;
};

const letters = (s: string): string => s.toLowerCase().replace(/[^\p{L}]/gu, '');

/**
 * The agent's thank-you name is the caller's own words written out: the same letters as the name so far, or
 * those letters and more that the caller did say ("mike o connell" read as "Mike"; the agent: "Mike O'Connell";
 * "mary beth" -> "Mary-Beth"). The agent's hyphens and apostrophes are then the better spelling.
 */
function agentWritesSameName(d: DraftLead, agentName: string): boolean {
  const agent = letters(agentName);
  const current = letters(d.name.join(''));
  if (agent === '' || agentName === d.name.join(' ') || !agent.startsWith(current)) return false;
  if (agentName.split(/\s+/).length < 2) return false;
  return letters(d.nameSaid).includes(agent);
}

/** True when the agent's name differs from a word the caller spelled for it (the spelling wins). */
const contradictsSpelling = (d: DraftLead, agentName: string): boolean =>
  [...d.locked].some((s) => !agentName.toLowerCase().split(/[\s'’-]+/).includes(s.toLowerCase()) && d.name.includes(s));

/**
 * Applies what the agent read back. `strong`: the caller confirmed it, so it wins (the agent's spelling is the
 * cleaner one). Otherwise it only fills what the caller's own words left empty. A value the caller turned down
 * before is never taken, whoever reads it back.
 */
export function applyReadBack(d: DraftLead, readBack: ReadBack, strong: boolean): void {
  const name = readBack.name;
  if (name !== undefined && !isRejected(d, 'name', name) && !contradictsSpelling(d, name)) {
    if (d.name.length === 0 || agentWritesSameName(d, name)) d.name = name.split(/\s+/);
  }
  const take = (field: DraftField, value: string | null | undefined, current: string | null): value is string =>
    value !== null && value !== undefined && (strong || current === null) && !isRejected(d, field, value);
  if (take('zip', readBack.zip, d.zip)) d.zip = readBack.zip;
  if (take('phone', readBack.phone, d.phone)) d.phone = readBack.phone;
  const v = readBack.vehicle;
  if (v !== undefined) {
    setVehicle(d, {
      year: take('year', v.year, d.vehicle.year) ? v.year : null,
      make: take('make', v.make, d.vehicle.make) ? v.make : null,
      model: take('model', v.model, d.vehicle.model) ? v.model : null,
    });
  }
}

/** Reads a phone answer into the draft: a whole number, a fix to part of it, or one part of several. */
export function applyPhone(d: DraftLead, text: string): void {
  const answer = parsePhoneAnswer(text);
  if (answer === null) return;
  if (answer.kind === 'callerId') {
    d.phone = CALLER_ID;
    d.partialPhone = '';
    return;
  }
  if (answer.digits.length >= 10) {
    d.phone = answer.digits;
    d.partialPhone = '';
    return;
  }
  // A fix to part of a number already given: "no, the last four are 0144", "the area code is 770".
  // As the caller gave it or as the agent read it back ("404-555-0111").
  const current = d.phone !== null && /^\d{10}$/.test(d.phone.replace(/\D/g, '')) ? d.phone.replace(/\D/g, '') : null;
  if (current !== null && answer.digits.length <= 7) {
    if (/\barea code\b/i.test(text) && answer.digits.length === 3) {
      d.phone = answer.digits + current.slice(3);
      return;
    }
    if (/\b(?:last|end|ends|ending)\b/i.test(text) || answer.digits.length === 4) {
      d.phone = current.slice(0, 10 - answer.digits.length) + answer.digits;
      return;
    }
  }
  // Part of a number: keep it and join it with the next part ("four oh four, five five five ... zero one one one").
  const joined = d.partialPhone + answer.digits;
  const whole = joined.length === 11 && joined.startsWith('1') ? joined.slice(1) : joined;
  if (whole.length === 10) {
    d.phone = whole;
    d.partialPhone = '';
  } else d.partialPhone = joined.length < 10 ? joined : answer.digits;
}
