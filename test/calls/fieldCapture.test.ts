import { describe, expect, it } from 'vitest';
import { END_CALL_OK_OUTPUT, FieldCapture, missingForEnd } from '../../src/calls/fieldCapture.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import type { ExtractionResult, LeadField } from '../../src/leads/lead.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const capture = (callerPhone: string | null = '+14045550111') => new FieldCapture({ callerPhone, now: () => NOW });
const args = (field: string, value: unknown) => JSON.stringify({ field, value });
const outputOf = (o: { output: string }) => JSON.parse(o.output) as Record<string, unknown>;

describe('FieldCapture.record: one normalizer per field', () => {
  it.each<[LeadField, string, string | number]>([
    ['full_name', 'john carter', 'John Carter'],
    ['zip_code', 'three oh oh nine three', '30093'],
    ['zip_code', '30093-1234', '30093'],
    ['phone', '(404) 555-0111', '+14045550111'],
    ['phone', 'CALLER_ID', '+14045550111'],
    ['vehicle_year', '2019', 2019],
    ['vehicle_year', 'twenty nineteen', 2019],
    ['vehicle_year', '2026', 2026],
    ['vehicle_make', 'harley davidson', 'Harley-Davidson'],
    ['vehicle_make', 'can am', 'Can-Am'],
  ])('accepts %s %j as %j', (field, raw, value) => {
    const outcome = capture().record(args(field, raw));
    expect(outputOf(outcome)).toEqual({ status: 'accepted', field, value });
    expect(outcome.accepted).toEqual({ field, captured: { value, at: NOW.toISOString(), attempts: 1 } });
    expect(outcome.refused).toBeUndefined();
  });

  it.each<[LeadField, string, RegExp, RegExp]>([
    ['zip_code', '99501', /Alaska; we do not buy vehicles in Alaska or Hawaii/, /a state we buy in/],
    ['zip_code', '96813', /Hawaii/, /a state we buy in/],
    ['zip_code', '3009', /not 5 digits/, /5-digit ZIP/],
    ['zip_code', '00000', /not a US ZIP code/, /5-digit ZIP/],
    ['phone', '555 0111', /7 digits, not 10/, /10-digit/],
    ['phone', '123 456 7890', /not a valid US number/, /10-digit/],
    ['vehicle_year', '2027', /outside 1950-2026/, /4-digit model year/],
    ['vehicle_year', '1890', /outside 1950-2026/, /4-digit model year/],
    ['vehicle_year', 'a while ago', /not a year/, /4-digit model year/],
    ['full_name', '  ', /no value/, /first and last name/],
  ])('refuses %s %j with the reason and what to ask next', (field, raw, reason, next) => {
    const outcome = capture().record(args(field, raw));
    const output = outputOf(outcome);
    expect(output).toMatchObject({ status: 'refused', field });
    expect(output.reason).toMatch(reason);
    expect(output.next).toMatch(next);
    expect(outcome.accepted).toBeUndefined();
    expect(outcome.refused).toMatchObject({ field, attempts: 1 });
    // The reason names the problem, never the value (it may reach logs).
    expect(String(output.reason)).not.toContain(raw.trim() === '' ? '\u0000' : raw);
  });

  it('uses the caller phone for CALLER_ID, and refuses it when there is no caller ID', () => {
    expect(outputOf(capture(null).record(args('phone', 'CALLER_ID')))).toMatchObject({
      status: 'refused',
      reason: 'caller ID is not available',
    });
  });

  it('normalizes the model with the captured make', () => {
    const c = capture();
    c.record(args('vehicle_make', 'Polaris'));
    expect(outputOf(c.record(args('vehicle_model', 'Polaris RZR XP 1000')))).toEqual({ status: 'accepted', field: 'vehicle_model', value: 'RZR XP 1000' });
  });

  it.each([
    ['not json', /not valid JSON/],
    [JSON.stringify({ field: 'email', value: 'x' }), /"field" must be one of full_name/],
    [JSON.stringify({ field: 'zip_code' }), /need "field" and "value"/],
    [JSON.stringify({ field: 'zip_code', value: 30093 }), /need "field" and "value"/],
  ])('answers bad arguments %j with an error output, never a throw', (json, reason) => {
    const c = capture();
    const outcome = c.record(json);
    expect(outputOf(outcome)).toMatchObject({ status: 'error', reason: expect.stringMatching(reason) });
    expect(outcome.accepted).toBeUndefined();
    expect(c.captured()).toEqual({});
  });

  it('counts attempts per field, refused ones included; a correction replaces the value', () => {
    const c = capture();
    expect(c.record(args('zip_code', '99501')).refused?.attempts).toBe(1);
    expect(c.record(args('zip_code', '30093')).accepted?.captured).toEqual({ value: '30093', at: NOW.toISOString(), attempts: 2 });
    c.record(args('full_name', 'John Carter'));
    c.record(args('zip_code', '30339'));
    expect(c.captured()).toEqual({
      zip_code: { value: '30339', at: NOW.toISOString(), attempts: 3 },
      full_name: { value: 'John Carter', at: NOW.toISOString(), attempts: 1 },
    });
    // A refused correction keeps the value last accepted.
    c.record(args('zip_code', '99501'));
    expect(c.captured().zip_code).toEqual({ value: '30339', at: NOW.toISOString(), attempts: 3 });
  });
});

const readingOf = (turns: Array<[role: 'assistant' | 'user', text: string]>): ExtractionResult =>
  extractOffline({ callerPhone: '+14045550111', turns: turns.map(([role, text]) => ({ role, text })) });

describe('FieldCapture.endCall: missing fields named once', () => {
  const allSix = (c: FieldCapture) => {
    for (const [field, value] of [
      ['full_name', 'John Carter'],
      ['zip_code', '30093'],
      ['phone', 'CALLER_ID'],
      ['vehicle_year', '2019'],
      ['vehicle_make', 'Harley-Davidson'],
      ['vehicle_model', 'Street Glide'],
    ] as const) {
      c.record(args(field, value));
    }
  };

  it('ends at once when every field was captured', () => {
    const c = capture();
    allSix(c);
    expect(c.endCall(null)).toEqual({ end: true, output: END_CALL_OK_OUTPUT, missing: [] });
  });

  it('names the missing fields the first time, and ends the second time whatever is missing', () => {
    const c = capture();
    c.record(args('full_name', 'John Carter'));
    const first = c.endCall(null);
    expect(first.end).toBe(false);
    expect(first.missing).toEqual(['zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model']);
    expect(JSON.parse(first.output)).toMatchObject({ ok: false, status: 'missing', missing: first.missing });
    expect(JSON.parse(first.output).next).toMatch(/ZIP code, callback phone number, vehicle year/);
    expect(c.endCall(null)).toEqual({ end: true, output: END_CALL_OK_OUTPUT, missing: first.missing });
  });

  it('ends at once when the agent never used record_lead_field (an old script, a model that does not record)', () => {
    expect(capture().endCall(null)).toEqual({ end: true, output: END_CALL_OK_OUTPUT, missing: [] });
  });

  it('counts a field the live offline reading holds validly as present, and an invalid one (Alaska) as missing', () => {
    const c = capture();
    c.record(args('full_name', 'John Carter'));
    const reading = readingOf([
      ['assistant', "What's your ZIP code?"],
      ['user', '99501.'],
      ['assistant', "What's the best phone number?"],
      ['user', 'Use the number I am calling from.'],
      ['assistant', "What's the year, make and model?"],
      ['user', "It's a 2019 Harley Davidson Street Glide."],
    ]);
    expect(reading.lead.zip_code).toBe('99501');
    expect(missingForEnd(c.captured(), reading)).toEqual(['zip_code']);
    expect(c.endCall(reading)).toMatchObject({ end: false, missing: ['zip_code'] });
  });
});
