import { LEAD_FIELDS, type ExtractionResult, type Lead, type LeadField } from './lead.js';
import { normalizeZip } from './normalize.js';

/**
 * Why a lead cannot be sent: the one place for every reason a lead is refused (missing or invalid fields, a call
 * that ended early, a failure before submission, a conversation rebuilt after a crash or abandoned by a texter).
 */

/** Why the conversation part of a call ended. */
export type EndReason = 'goodbye' | 'caller-hangup' | 'stream-never-started' | 'model-failure' | 'max-duration';

export const RECOVERY_REASON = 'recovered after a server restart';
export const SMS_ABANDONED_REASON = 'incomplete: the texter stopped replying';

/** The fields of a lead still null: a lead missing any of them is not sent to NPA. */
export function missingFields(lead: Lead): LeadField[] {
  return LEAD_FIELDS.filter((field) => lead[field] === null);
}

/** A readable reason a lead is not complete ("missing: phone; invalid: zip_code (...)"); "" when complete. */
export function describeProblems(result: ExtractionResult): string {
  const parts: string[] = [];
  const withReason = (f: LeadField): string => (result.reasons[f] ? `${f} (${result.reasons[f]})` : f);
  if (result.missing.length > 0) parts.push(`missing: ${result.missing.map(withReason).join(', ')}`);
  if (result.errors.length > 0) parts.push(`invalid: ${result.errors.map(withReason).join(', ')}`);
  return parts.join('; ');
}

/**
 * Why a stored lead should not go to NPA as it is ("missing vehicle_year, vehicle_make"; an Alaska ZIP), or
 * undefined when it may. Stored leads keep only values, so the rules that can refuse a present value are re-checked.
 */
export function leadProblems(lead: Lead): string | undefined {
  const parts: string[] = [];
  const missing = missingFields(lead);
  if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
  const zip = lead.zip_code === null ? undefined : normalizeZip(lead.zip_code);
  if (zip?.invalid) parts.push(`invalid zip_code (${zip.reason ?? 'not accepted'})`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** "incomplete: caller hung up after zip_code": what operations need to call back. Null when nothing is missing. */
export function earlyEndReason(endReason: EndReason | null, extraction: ExtractionResult): string | null {
  if (extraction.missing.length === 0) return null;
  if (endReason === 'stream-never-started') return 'incomplete: the call audio never started';
  if (endReason === 'max-duration') return 'incomplete: the call reached its maximum length';
  if (endReason !== 'caller-hangup') return null;
  const given = LEAD_FIELDS.filter((field) => extraction.lead[field] !== null);
  const last = given[given.length - 1];
  return last === undefined ? 'incomplete: caller hung up before giving any details' : `incomplete: caller hung up after ${last}`;
}

export interface RefusalCauses {
  /** Something failed before submission (the model, the extraction): the lead is refused even when complete. */
  failure?: string | null;
  /** How the call ended, for the "hung up after ..." note of an incomplete lead. */
  endReason?: EndReason | null;
  /** Why the lead is being saved now, said before the problems of an incomplete lead (RECOVERY_REASON...). */
  context?: string;
}

/** Why this lead must not be sent, or undefined when it may: the refusal every channel records as a failed lead. */
export function refusalFor(extraction: ExtractionResult, causes: RefusalCauses = {}): string | undefined {
  const problems = extraction.complete ? '' : describeProblems(extraction);
  const parts = [
    causes.failure,
    earlyEndReason(causes.endReason ?? null, extraction),
    problems === '' ? null : causes.context === undefined ? problems : `${causes.context}; ${problems}`,
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length > 0 ? parts.join('; ') : undefined;
}
