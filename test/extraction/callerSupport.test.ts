import { describe, expect, it } from 'vitest';
import { UNSUPPORTED_REASON, hasCallerTurn, unsupportedFields, withoutUnsupported } from '../../src/extraction/callerSupport.js';
import type { Conversation, ExtractionResult, Lead } from '../../src/leads/lead.js';

const lead: Lead = {
  full_name: 'Dana Whitfield',
  zip_code: '30301',
  phone: '+14045550123',
  vehicle_year: 2019,
  vehicle_make: 'Kawasaki',
  vehicle_model: 'KX 450',
};
const result = (l: Lead): ExtractionResult => ({ lead: l, complete: true, errors: [], missing: [], reasons: {} });
const call = (turns: Conversation['turns'], callerPhone: string | null = '+14045550123'): Conversation => ({ callerPhone, turns });

describe('caller support', () => {
  it('a conversation without caller words has no caller turn', () => {
    expect(hasCallerTurn(call([{ role: 'assistant', text: 'Hello?' }]))).toBe(false);
    expect(hasCallerTurn(call([{ role: 'user', text: '   ' }]))).toBe(false);
    expect(hasCallerTurn(call([{ role: 'user', text: 'hi' }]))).toBe(true);
  });

  it('supports values said in words, digits, spelled letters, or across turns', () => {
    const conversation = call([
      { role: 'assistant', text: 'Your name?' },
      { role: 'user', text: 'Dana, D-A-N-A, Whitfeld' },
      { role: 'user', text: 'zip three oh three oh one' },
      { role: 'user', text: 'four oh four five five five' },
      { role: 'user', text: 'oh one two three' },
      { role: 'user', text: "it's a nineteen Kawasaki KX four fifty" },
    ]);
    expect(unsupportedFields(result(lead), conversation)).toEqual([]);
  });

  it('takes a value from a read-back only when the caller confirmed it', () => {
    const turns = (answer: string): Conversation['turns'] => [
      { role: 'assistant', text: 'So that is a 2019 Kawasaki KX 450, ZIP 30301, Dana Whitfield at 404 555 0123?' },
      { role: 'user', text: answer },
    ];
    expect(unsupportedFields(result(lead), call(turns('Yes, that is right.')))).toEqual([]);
    expect(unsupportedFields(result(lead), call(turns('Hmm.')))).toEqual(['full_name', 'zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model']);
  });

  it("supports the caller's own number only when they asked for it", () => {
    const onlyPhone = { ...lead, full_name: null, zip_code: null, vehicle_year: null, vehicle_make: null, vehicle_model: null };
    expect(unsupportedFields(result(onlyPhone), call([{ role: 'user', text: 'use the number I am calling from' }]))).toEqual([]);
    expect(unsupportedFields(result(onlyPhone), call([{ role: 'user', text: 'I would like to sell my bike' }]))).toEqual(['phone']);
  });

  it('drops what nothing supports: the offline value stands in where there is one, else the field is missing', () => {
    const conversation = call([{ role: 'user', text: 'Dana Whitfield, 30301, a 2019 Kawasaki KX 450' }]);
    const invented = result({ ...lead, phone: '+14045559999' });
    const dropped = withoutUnsupported(invented, conversation);
    expect(dropped.lead.phone).toBeNull();
    expect(dropped).toMatchObject({ complete: false, missing: ['phone'], reasons: { phone: UNSUPPORTED_REASON } });
    const offline: ExtractionResult = { ...result(lead), lead: { ...lead, phone: '+14045550123' } };
    const filled = withoutUnsupported(invented, conversation, offline);
    expect(filled.lead.phone).toBe('+14045550123');
    expect(filled.complete).toBe(true);
    expect(withoutUnsupported(result(lead), call([{ role: 'user', text: 'hi' }]))).toMatchObject({ complete: false });
  });
});
