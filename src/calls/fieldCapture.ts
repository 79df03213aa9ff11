import type { CapturedField, CapturedFields } from '../leads/capturedFields.js';
import { LEAD_FIELDS, type ExtractionResult, type LeadField } from '../leads/lead.js';
import { normalizeFullName, normalizeMake, normalizeModel, normalizePhone, normalizeYear, normalizeZip } from '../leads/normalize.js';
import { parseRecordLeadFieldArgs } from '../realtime/recordLeadField.js';

/** What one `record_lead_field` call came to: the output the model reads, and the field when it was accepted. */
export interface RecordOutcome {
  /** JSON for the function_call_output item. */
  output: string;
  /** Set when the value was accepted: the field and its capture (for FIELD_CAPTURED). */
  accepted?: { field: LeadField; captured: CapturedField };
  /** Set when a known field was refused (for counters and logs: the field's name, never the value). */
  refused?: { field: LeadField; reason: string; attempts: number };
}

/** What an `end_call` comes to: end now, or first ask for what is missing (named in the output, once). */
export interface EndCallDecision {
  end: boolean;
  output: string;
  missing: LeadField[];
}

/** The output of an end_call that ends the call. */
export const END_CALL_OK_OUTPUT = '{"ok":true}';

const NEXT: Record<LeadField, string> = {
  full_name: "ask the caller for their first and last name",
  zip_code: 'ask the caller for the 5-digit ZIP code where the vehicle is',
  phone: 'ask the caller for a 10-digit US callback number, or whether to use the number they are calling from',
  vehicle_year: 'ask the caller for the 4-digit model year of the vehicle',
  vehicle_make: 'ask the caller who makes the vehicle',
  vehicle_model: 'ask the caller for the model of the vehicle',
};

const FIELD_WORDS: Record<LeadField, string> = {
  full_name: 'full name',
  zip_code: 'ZIP code',
  phone: 'callback phone number',
  vehicle_year: 'vehicle year',
  vehicle_make: 'vehicle make',
  vehicle_model: 'vehicle model',
};

/**
 * The live capture of one call: each `record_lead_field` call checked by the one normalizer for its field, with
 * the attempts per field (refused ones included), and the end_call rule: required fields still missing are named
 * once, and the next end_call ends the call whatever is missing. Pure: no sockets, no clock but the one given.
 */
export class FieldCapture {
  private readonly fields: CapturedFields = {};
  private readonly attempts: Partial<Record<LeadField, number>> = {};
  private used = false;
  private reminded = false;
  private readonly now: () => Date;

  constructor(private readonly options: { callerPhone: string | null; now?: () => Date; refusedStates?: readonly string[] }) {
    this.now = options.now ?? (() => new Date());
  }

  /** What was accepted so far, per field (the last accepted value wins). */
  captured(): CapturedFields {
    return { ...this.fields };
  }

  /** One `record_lead_field` call, with its raw JSON arguments. */
  record(argumentsJson: string): RecordOutcome {
    this.used = true;
    const parsed = parseRecordLeadFieldArgs(argumentsJson);
    if (!parsed.ok) {
      return { output: JSON.stringify({ status: 'error', reason: parsed.reason, next: 'call record_lead_field again with a field and its value' }) };
    }
    const { field, value: raw } = parsed.args;
    const attempts = (this.attempts[field] ?? 0) + 1;
    this.attempts[field] = attempts;
    const normalized = this.normalize(field, raw);
    if ('reason' in normalized) {
      return {
        output: JSON.stringify({ status: 'refused', field, reason: normalized.reason, next: normalized.next }),
        refused: { field, reason: normalized.reason, attempts },
      };
    }
    const captured: CapturedField = { value: normalized.value, at: this.now().toISOString(), attempts };
    this.fields[field] = captured;
    return { output: JSON.stringify({ status: 'accepted', field, value: normalized.value }), accepted: { field, captured } };
  }

  /**
   * The agent called end_call. The rule is armed once the agent has used record_lead_field in this call: a model
   * (or a script) that never records ends as before. A field counts as present when it was captured, or when the
   * live offline reading holds a valid value for it.
   */
  endCall(reading: ExtractionResult | null): EndCallDecision {
    const missing = this.used ? missingForEnd(this.fields, reading) : [];
    if (missing.length === 0 || this.reminded) return { end: true, output: END_CALL_OK_OUTPUT, missing };
    this.reminded = true;
    const words = missing.map((field) => FIELD_WORDS[field]);
    return {
      end: false,
      missing,
      output: JSON.stringify({
        ok: false,
        status: 'missing',
        missing,
        next:
          `the call has not ended: before ending, apologise briefly and ask the caller for their ${words.join(', ')}; ` +
          'if they do not want to give it, thank them, say goodbye and call end_call again (it will end the call)',
      }),
    };
  }

  private normalize(field: LeadField, raw: string): { value: string | number } | { reason: string; next: string } {
    if (raw.trim() === '') return { reason: 'no value was given', next: NEXT[field] };
    switch (field) {
      case 'full_name': {
        const name = normalizeFullName(raw);
        return name === null ? { reason: 'the name given has no letters', next: NEXT.full_name } : { value: name };
      }
      case 'zip_code': {
        const zip = normalizeZip(raw, this.options.refusedStates);
        if (zip.value !== null && zip.invalid !== true) return { value: zip.value };
        const reason = zip.reason ?? 'the ZIP code given is not accepted';
        // A ZIP in a state we do not buy in: the vehicle may still be somewhere we do.
        const next = /we do not buy/.test(reason)
          ? 'ask the caller whether the vehicle is located at a ZIP code in a state we buy in; if it is not, say you will still take their details and go on'
          : NEXT.zip_code;
        return { reason, next };
      }
      case 'phone': {
        const phone = normalizePhone(raw, this.options.callerPhone);
        if (phone.value !== null) return { value: phone.value };
        const reason = phone.reason ?? 'the phone number given is not accepted';
        return { reason, next: /caller ID/.test(reason) ? 'ask the caller for their 10-digit phone number' : NEXT.phone };
      }
      case 'vehicle_year': {
        const year = normalizeYear(raw, this.now());
        return year.value === null ? { reason: year.reason ?? 'the model year given is not a year', next: NEXT.vehicle_year } : { value: year.value };
      }
      case 'vehicle_make': {
        const make = normalizeMake(raw);
        return make.value === null ? { reason: 'no make was given', next: NEXT.vehicle_make } : { value: make.value };
      }
      case 'vehicle_model': {
        const make = this.fields.vehicle_make?.value;
        const model = normalizeModel(raw, typeof make === 'string' ? make : null);
        return model.value === null ? { reason: 'no model was given', next: NEXT.vehicle_model } : { value: model.value };
      }
    }
  }
}

/** Required fields neither captured nor validly present in the live offline reading, in the order they are asked. */
export function missingForEnd(captured: CapturedFields, reading: ExtractionResult | null): LeadField[] {
  return LEAD_FIELDS.filter((field) => {
    if (captured[field] !== undefined) return false;
    if (reading === null) return true;
    return reading.lead[field] === null || reading.errors.includes(field);
  });
}
