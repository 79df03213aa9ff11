import { describe, expect, it } from 'vitest';
import { FieldCapture } from '../../src/calls/fieldCapture.js';
import { ConfigError, parseConfig } from '../../src/config.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import { normalizeLead, normalizeZip } from '../../src/leads/normalize.js';

/** REFUSED_STATES: the states whose ZIP codes are refused are a configuration list, default AK and HI. */
describe('REFUSED_STATES', () => {
  it('defaults to Alaska and Hawaii, and reads a comma list of USPS codes', () => {
    expect(parseConfig({}).REFUSED_STATES).toEqual(['AK', 'HI']);
    expect(parseConfig({ REFUSED_STATES: ' ak, hi ,PR,pr' }).REFUSED_STATES).toEqual(['AK', 'HI', 'PR']);
    expect(parseConfig({ REFUSED_STATES: '' }).REFUSED_STATES).toEqual([]);
  });

  it('refuses a code that is no state, naming the variable', () => {
    expect(() => parseConfig({ REFUSED_STATES: 'AK,XX' })).toThrow(ConfigError);
    expect(() => parseConfig({ REFUSED_STATES: 'AK,XX' })).toThrow(/REFUSED_STATES/);
  });

  it('decides what the normalizer refuses, with the states named in the reason', () => {
    expect(normalizeZip('99501', ['CA'])).toEqual({ value: '99501' });
    expect(normalizeZip('90210', ['CA', 'PR'])).toMatchObject({
      value: '90210',
      invalid: true,
      reason: 'the ZIP code is in California; we do not buy vehicles in California or Puerto Rico',
    });
    // A ZIP that maps to no state stays invalid whatever the list.
    expect(normalizeZip('00000', [])).toMatchObject({ invalid: true, reason: 'the ZIP code given is not a US ZIP code' });
    const raw = { full_name: 'Ann Lee', zip_code: '90210', phone: '4045550141', vehicle_year: '2019', vehicle_make: 'Honda', vehicle_model: 'Rancher' };
    expect(normalizeLead(raw, { refusedStates: ['CA'] }).errors).toEqual(['zip_code']);
    expect(normalizeLead(raw, {}).errors).toEqual([]);
  });

  it('reaches the offline reading and the live capture', () => {
    const conversation = {
      callerPhone: '+14045550141',
      turns: [
        { role: 'assistant' as const, text: 'What ZIP code is the vehicle located in?' },
        { role: 'user' as const, text: 'nine oh two one oh' },
      ],
    };
    expect(extractOffline(conversation).errors).toEqual([]);
    expect(extractOffline(conversation, new Date(), ['CA']).errors).toEqual(['zip_code']);
    const capture = new FieldCapture({ callerPhone: null, refusedStates: ['CA'] });
    const refused = JSON.parse(capture.record(JSON.stringify({ field: 'zip_code', value: '90210' })).output) as { status: string; reason: string };
    expect(refused).toMatchObject({ status: 'refused', reason: expect.stringMatching(/California/) });
    const accepted = JSON.parse(capture.record(JSON.stringify({ field: 'zip_code', value: '99501' })).output) as { status: string };
    expect(accepted.status).toBe('accepted');
  });
});
