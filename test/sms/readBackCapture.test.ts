import { describe, expect, it } from 'vitest';
import { readBackCapture } from '../../src/sms/readBackCapture.js';
import { decideNow } from '../../src/extraction/fieldVote.js';
import type { Lead } from '../../src/leads/lead.js';

const LEAD: Lead = {
  full_name: 'Tom Becker',
  zip_code: '32801',
  phone: '+14075550129',
  vehicle_year: 2014,
  vehicle_make: 'Suzuki',
  vehicle_model: null,
};
const AT = new Date('2026-03-01T12:00:00.000Z');

describe('readBackCapture', () => {
  it('turns each value of the confirmed read-back into a captured field, with its read-back count', () => {
    const captured = readBackCapture({ lead: LEAD, times: { full_name: 1, zip_code: 2, phone: 1, vehicle_year: 1, vehicle_make: 1 } }, AT);
    expect(captured).toEqual({
      full_name: { value: 'Tom Becker', at: AT.toISOString(), attempts: 1 },
      zip_code: { value: '32801', at: AT.toISOString(), attempts: 2 },
      phone: { value: '+14075550129', at: AT.toISOString(), attempts: 1 },
      vehicle_year: { value: 2014, at: AT.toISOString(), attempts: 1 },
      vehicle_make: { value: 'Suzuki', at: AT.toISOString(), attempts: 1 },
    });
  });

  it('testifies as the live witness: a field it did not read back is no value, not a vote', () => {
    const decision = decideNow({ live: readBackCapture({ lead: LEAD, times: {} }, AT), offline: { ...LEAD, vehicle_model: 'V-Strom 650' } });
    expect(decision.fields.full_name).toMatchObject({ ruling: 'agreed', for: ['live', 'offline'] });
    expect(decision.fields.vehicle_model).toMatchObject({ value: 'V-Strom 650', ruling: 'single', for: ['offline'] });
    expect(decision.disputed).toEqual([]);
  });
});
