import { describe, expect, it } from 'vitest';
import type { RawLead } from '../../src/leads/lead.js';
import { describeProblems } from '../../src/leads/problems.js';
import {
  normalizeFullName,
  normalizeLead,
  normalizeMake,
  normalizeModel,
  normalizePhone,
  normalizeYear,
  normalizeZip,
} from '../../src/leads/normalize.js';

const NOW = new Date('2026-06-01T12:00:00Z');

describe('normalizeFullName', () => {
  it.each([
    ['john doe', 'John Doe'],
    ['mary-kate o\'neil', "Mary-Kate O'Neil"],
    ['Luis De La Cruz', 'Luis de la Cruz'],
    ['ludwig van beethoven', 'Ludwig van Beethoven'],
    ['De Angelo Smith', 'De Angelo Smith'],
    ['McDonald', 'McDonald'],
    ['mcdonald', 'McDonald'],
    ['  My name is JOHN CARTER. ', 'John Carter'],
    ["it's Brian Foster", 'Brian Foster'],
  ])('%s -> %s', (raw, name) => {
    expect(normalizeFullName(raw)).toBe(name);
  });
  it('is null for nothing', () => {
    expect(normalizeFullName(null)).toBeNull();
    expect(normalizeFullName('  ')).toBeNull();
  });
});

describe('normalizeZip', () => {
  it('keeps five digits, the first five of a ZIP+4, and reads spoken digits', () => {
    expect(normalizeZip('30093').value).toBe('30093');
    expect(normalizeZip('32801-1234').value).toBe('32801');
    expect(normalizeZip('three oh oh nine three').value).toBe('30093');
  });
  it('keeps an Alaska or Hawaii ZIP but marks it invalid, with a reason', () => {
    const alaska = normalizeZip('99501');
    expect(alaska).toMatchObject({ value: '99501', invalid: true });
    expect(alaska.reason).toMatch(/Alaska/);
    expect(normalizeZip('96813')).toMatchObject({ value: '96813', invalid: true });
    expect(normalizeZip('96999').invalid).toBeUndefined();
  });
  it('refuses what is not a ZIP', () => {
    expect(normalizeZip('3009')).toMatchObject({ value: null });
    expect(normalizeZip('3009').reason).toBeDefined();
    expect(normalizeZip(null)).toEqual({ value: null });
  });
});

describe('normalizePhone', () => {
  it.each([
    ['404-555-0111', '+14045550111'],
    ['(404) 555 0111', '+14045550111'],
    ['+1 404 555 0111', '+14045550111'],
    ['1-800-555-0199', '+18005550199'],
    ['two one four, five five five, zero one nine eight', '+12145550198'],
  ])('%s -> %s', (raw, phone) => {
    expect(normalizePhone(raw).value).toBe(phone);
  });
  it('uses the caller ID for CALLER_ID and for "the number I am calling from"', () => {
    expect(normalizePhone('CALLER_ID', '+13125550134').value).toBe('+13125550134');
    expect(normalizePhone("the number I'm calling from", '+13125550134').value).toBe('+13125550134');
    expect(normalizePhone('CALLER_ID', null)).toMatchObject({ value: null });
  });
  it('refuses numbers that are not 10-digit US numbers', () => {
    expect(normalizePhone('555-0111').value).toBeNull();
    expect(normalizePhone('555-0111').reason).toMatch(/10-digit/);
    expect(normalizePhone('123-456-7890').value).toBeNull();
  });
});

describe('normalizeYear', () => {
  it.each([
    ['2019', 2019],
    ['oh-nine', 2009],
    ['09', 2009],
    ["'05", 2005],
    ['twenty twenty-one', 2021],
    ['twenty-one', 2021],
    ['ninety-eight', 1998],
    ['nineteen ninety eight', 1998],
    ['two thousand nine', 2009],
    ['27', 2027],
    ['28', null],
  ])('%s -> %s', (raw, year) => {
    expect(normalizeYear(raw, NOW).value).toBe(year);
  });
  it('accepts numbers and bounds the year by 1950 and next year', () => {
    expect(normalizeYear(2016, NOW).value).toBe(2016);
    expect(normalizeYear(2027, NOW).value).toBe(2027);
    expect(normalizeYear(2028, NOW)).toMatchObject({ value: null });
    expect(normalizeYear('1949', NOW).reason).toMatch(/1950/);
  });
});

describe('normalizeMake and normalizeModel', () => {
  it('canonicalizes makes and keeps unknown ones title-cased', () => {
    expect(normalizeMake('can am').value).toBe('Can-Am');
    expect(normalizeMake('zongshen').value).toBe('Zongshen');
    expect(normalizeMake(null).value).toBeNull();
    expect(normalizeMake('Polaris Industries').value).toBe('Polaris');
  });
  it('spells models the manufacturer way and implies the make', () => {
    expect(normalizeModel('goldwing')).toMatchObject({ value: 'Gold Wing', impliedMake: 'Honda' });
    expect(normalizeModel('RZR XP one thousand')).toMatchObject({ value: 'RZR XP 1000', impliedMake: 'Polaris' });
    expect(normalizeModel('Polaris RZR', 'Polaris').value).toBe('RZR');
    expect(normalizeModel('mt 07').value).toBe('MT-07');
    expect(normalizeModel('Renegade 850').impliedMake).toBeNull();
    expect(normalizeModel('Ski-Doo Renegade 850')).toMatchObject({ value: 'Renegade 850', impliedMake: 'Ski-Doo' });
  });
});

const raw = (over: Partial<RawLead>): RawLead => ({
  full_name: 'john carter',
  zip_code: '30093',
  phone: '404-555-0111',
  vehicle_year: '2019',
  vehicle_make: 'harley',
  vehicle_model: 'street glide',
  ...over,
});

describe('normalizeLead', () => {
  it('normalizes a complete lead', () => {
    const result = normalizeLead(raw({}), { now: NOW });
    expect(result).toEqual({
      lead: {
        full_name: 'John Carter',
        zip_code: '30093',
        phone: '+14045550111',
        vehicle_year: 2019,
        vehicle_make: 'Harley-Davidson',
        vehicle_model: 'Street Glide',
      },
      complete: true,
      errors: [],
      missing: [],
      reasons: {},
    });
    expect(describeProblems(result)).toBe('');
  });
  it('fills the make from the model and the phone from the caller ID', () => {
    const result = normalizeLead(raw({ vehicle_make: null, vehicle_model: 'Road King', phone: 'CALLER_ID' }), {
      callerPhone: '+16145550155',
      now: NOW,
    });
    expect(result.lead.vehicle_make).toBe('Harley-Davidson');
    expect(result.lead.phone).toBe('+16145550155');
    expect(result.complete).toBe(true);
  });
  it('keeps an Alaska ZIP as an error and explains missing fields readably', () => {
    const result = normalizeLead(
      raw({ zip_code: '99501', vehicle_year: null, vehicle_make: null, vehicle_model: null }),
      { now: NOW },
    );
    expect(result.lead.zip_code).toBe('99501');
    expect(result.errors).toEqual(['zip_code']);
    expect(result.missing).toEqual(['vehicle_year', 'vehicle_make', 'vehicle_model']);
    expect(result.complete).toBe(false);
    expect(describeProblems(result)).toBe(
      'missing: vehicle_year, vehicle_make, vehicle_model; invalid: zip_code (the ZIP code is in Alaska; we do not buy vehicles in Alaska or Hawaii)',
    );
  });
  it('drops an unusable phone with a reason', () => {
    const result = normalizeLead(raw({ phone: '555-0111' }), { now: NOW });
    expect(result.lead.phone).toBeNull();
    expect(result.missing).toEqual(['phone']);
    expect(describeProblems(result)).toMatch(/^missing: phone \(/);
  });
});

describe('reasons', () => {
  it('name the problem, never the value (reasons reach failed-lead rows, logs and the inspector)', () => {
    const cases: Array<[string, string | undefined]> = [
      ['99501', normalizeZip('99501').reason],
      ['96813', normalizeZip('96813').reason],
      ['1234', normalizeZip('1234').reason],
      ['banana', normalizeYear('banana', NOW).reason],
      ['1931', normalizeYear('1931', NOW).reason],
      ['2011234', normalizePhone('2011234').reason],
      ['1115550123', normalizePhone('111 555 0123').reason],
    ];
    for (const [value, reason] of cases) {
      expect(reason, value).toEqual(expect.any(String));
      expect(reason, value).not.toContain(value);
      expect(reason?.replace(/\D/g, ''), value).not.toContain(value.replace(/\D/g, '') || 'x');
    }
  });
});

describe('validation against the numbering plan and the ZIP table', () => {
  it('maps ZIP codes to states with the USPS table: 96799 is American Samoa, not Hawaii; 00000 is no ZIP code', () => {
    expect(normalizeZip('96799')).toEqual({ value: '96799' });
    expect(normalizeZip('96813')).toMatchObject({ value: '96813', invalid: true, reason: expect.stringMatching(/Hawaii/) });
    expect(normalizeZip('99501')).toMatchObject({ invalid: true, reason: expect.stringMatching(/Alaska/) });
    expect(normalizeZip('00000')).toMatchObject({ value: '00000', invalid: true, reason: 'the ZIP code given is not a US ZIP code' });
    expect(normalizeZip('30301')).toEqual({ value: '30301' });
    // The refused states are a list.
    expect(normalizeZip('30301', ['GA'])).toMatchObject({ invalid: true, reason: expect.stringMatching(/GA|Georgia/) });
    expect(normalizeZip('96813', [])).toEqual({ value: '96813' });
  });

  it('refuses phone numbers the numbering plan does not have, and keeps the territories', () => {
    expect(normalizePhone('555 555 0100').value).toBeNull();
    expect(normalizePhone('911 555 1234').value).toBeNull();
    expect(normalizePhone('787 555 1234').value).toBe('+17875551234');
    expect(normalizePhone('404 555 0111').value).toBe('+14045550111');
  });
});
