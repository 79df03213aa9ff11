import { describe, expect, it } from 'vitest';
import { decideLead, decidedResult, decideNow, sameValue, type Dispute, type FieldRuling, type Witnesses } from '../../src/extraction/fieldVote.js';
import type { CapturedFields } from '../../src/leads/capturedFields.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead, type LeadField } from '../../src/leads/lead.js';

const TRUE_LEAD: Lead = {
  full_name: 'Dana Whitaker',
  zip_code: '30093',
  phone: '+14045550141',
  vehicle_year: 2019,
  vehicle_make: 'Polaris',
  vehicle_model: 'RZR XP 1000',
};
const WRONG_PHONE = '+14045559999';
const OTHER_PHONE = '+14045551111';

const capturedOf = (lead: Partial<Lead>): CapturedFields =>
  Object.fromEntries(
    Object.entries(lead)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([f, v]) => [f, { value: v as string | number, at: '2026-12-01T00:00:00.000Z', attempts: 1 }]),
  );

interface Case {
  name: string;
  live?: Partial<Lead>;
  llm?: Partial<Lead>;
  offline: Partial<Lead>;
  /** What the LLM answers when asked again (undefined: never asked; 'fails': the re-ask rejects). */
  reask?: Partial<Lead> | 'fails';
  phone: { value: string | null; ruling: FieldRuling; for?: string[] };
  asked?: boolean;
}

const CASES: Case[] = [
  { name: 'all three agree', live: TRUE_LEAD, llm: TRUE_LEAD, offline: TRUE_LEAD, phone: { value: TRUE_LEAD.phone, ruling: 'agreed', for: ['live', 'llm', 'offline'] }, asked: false },
  {
    name: 'the LLM is wrong and sticks to it: live and offline outvote it',
    live: TRUE_LEAD,
    llm: { ...TRUE_LEAD, phone: WRONG_PHONE },
    offline: TRUE_LEAD,
    reask: { phone: WRONG_PHONE },
    phone: { value: TRUE_LEAD.phone, ruling: 'majority', for: ['live', 'offline'] },
    asked: true,
  },
  {
    name: 'the offline reading is wrong: live and the LLM outvote it',
    live: TRUE_LEAD,
    llm: TRUE_LEAD,
    offline: { ...TRUE_LEAD, phone: WRONG_PHONE },
    reask: { phone: TRUE_LEAD.phone },
    phone: { value: TRUE_LEAD.phone, ruling: 'majority', for: ['live', 'llm'] },
    asked: true,
  },
  {
    name: 'live missing, the LLM and offline disagree, the re-asked LLM comes round: majority',
    llm: { ...TRUE_LEAD, phone: WRONG_PHONE },
    offline: TRUE_LEAD,
    reask: { phone: TRUE_LEAD.phone },
    phone: { value: TRUE_LEAD.phone, ruling: 'majority', for: ['llm', 'offline'] },
    asked: true,
  },
  {
    name: 'live missing, the LLM and offline disagree and the LLM keeps its answer: disputed',
    llm: { ...TRUE_LEAD, phone: WRONG_PHONE },
    offline: TRUE_LEAD,
    reask: { phone: WRONG_PHONE },
    phone: { value: WRONG_PHONE, ruling: 'disputed', for: ['llm'] },
    asked: true,
  },
  {
    name: 'all three differ, even after the re-ask: disputed, the live value kept meanwhile',
    live: TRUE_LEAD,
    llm: { ...TRUE_LEAD, phone: WRONG_PHONE },
    offline: { ...TRUE_LEAD, phone: OTHER_PHONE },
    reask: { phone: WRONG_PHONE },
    phone: { value: TRUE_LEAD.phone, ruling: 'disputed', for: ['live'] },
    asked: true,
  },
  {
    name: 'a field only one witness has: accepted on its own',
    live: { ...TRUE_LEAD, phone: null },
    llm: { ...TRUE_LEAD, phone: null },
    offline: TRUE_LEAD,
    phone: { value: TRUE_LEAD.phone, ruling: 'single', for: ['offline'] },
    asked: false,
  },
  { name: 'no witness has the field', live: { ...TRUE_LEAD, phone: null }, offline: { ...TRUE_LEAD, phone: null }, phone: { value: null, ruling: 'none' } },
  {
    name: 'no LLM: live and offline disagree, nobody to ask: disputed',
    live: TRUE_LEAD,
    offline: { ...TRUE_LEAD, phone: WRONG_PHONE },
    phone: { value: TRUE_LEAD.phone, ruling: 'disputed', for: ['live'] },
    asked: false,
  },
  {
    name: 'the re-ask fails: the first answers stand (two against one still wins)',
    live: TRUE_LEAD,
    llm: { ...TRUE_LEAD, phone: WRONG_PHONE },
    offline: TRUE_LEAD,
    reask: 'fails',
    phone: { value: TRUE_LEAD.phone, ruling: 'majority', for: ['live', 'offline'] },
    asked: true,
  },
  {
    name: 'the LLM changes its mind to a value nobody else gave: still disputed',
    llm: { ...TRUE_LEAD, phone: WRONG_PHONE },
    offline: TRUE_LEAD,
    reask: { phone: OTHER_PHONE },
    phone: { value: OTHER_PHONE, ruling: 'disputed', for: ['llm'] },
    asked: true,
  },
];

const full = (lead: Partial<Lead>): Lead => ({ ...TRUE_LEAD, ...lead });

describe('decideLead over a table of cases (the phone is the field at stake)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const witnesses: Witnesses = {
        ...(c.live === undefined ? {} : { live: capturedOf(full(c.live)) }),
        ...(c.llm === undefined ? {} : { llm: full(c.llm) }),
        offline: full(c.offline),
      };
      const asked: Dispute[][] = [];
      const decision = await decideLead(
        witnesses,
        async (disputes) => {
          asked.push([...disputes]);
          if (c.reask === 'fails') throw new Error('LLM unreachable');
          return c.reask ?? {};
        },
      );
      const phone = decision.fields.phone;
      expect(phone.value).toBe(c.phone.value);
      expect(phone.ruling).toBe(c.phone.ruling);
      if (c.phone.for) expect(phone.for).toEqual(c.phone.for);
      expect(decision.lead.phone).toBe(c.phone.value);
      expect(decision.disputed).toEqual(c.phone.ruling === 'disputed' ? ['phone'] : []);
      if (c.asked !== undefined) expect(asked.length > 0).toBe(c.asked);
      // Only the disputed field is asked about, with each candidate and who gave it.
      for (const disputes of asked) expect(disputes.map((d) => d.field)).toEqual(['phone']);
      // The other fields, where everyone agrees, are untouched.
      for (const field of LEAD_FIELDS.filter((f) => f !== 'phone')) {
        expect(decision.fields[field].ruling, field).toBe(witnesses.live === undefined && witnesses.llm === undefined ? 'single' : 'agreed');
      }
      // The reason names witnesses, never a value.
      expect(phone.why).not.toMatch(/\d{4}/);
    });
  }
});

describe('decideLead details', () => {
  it('the LLM counts once: its second answer replaces the first, and the first is kept for the record', async () => {
    const decision = await decideLead({ llm: full({ phone: WRONG_PHONE }), offline: TRUE_LEAD }, async () => ({ phone: TRUE_LEAD.phone }));
    expect(decision.fields.phone).toMatchObject({ ruling: 'majority', for: ['llm', 'offline'], llmFirst: WRONG_PHONE, witnesses: { llm: TRUE_LEAD.phone, offline: TRUE_LEAD.phone } });
    expect(decision.reasked).toBe(true);
  });

  it('hands the re-ask each candidate with the witnesses behind it, most witnesses first', async () => {
    let seen: readonly Dispute[] = [];
    await decideLead({ live: capturedOf(TRUE_LEAD), llm: full({ zip_code: '30094' }), offline: TRUE_LEAD }, async (d) => {
      seen = d;
      return {};
    });
    expect(seen).toEqual([{ field: 'zip_code', candidates: [{ value: '30093', witnesses: ['live', 'offline'] }, { value: '30094', witnesses: ['llm'] }] }]);
  });

  it('compares text by letters and digits, case and spacing aside', () => {
    expect(sameValue('RZR XP 1000', 'Rzr XP1000')).toBe(true);
    expect(sameValue('RZR XP 1000', 'RZR XP 900')).toBe(false);
    expect(sameValue(2019, 2019)).toBe(true);
    expect(sameValue(2019, 2018)).toBe(false);
    expect(sameValue(null, null)).toBe(true);
  });

  it('decideNow never asks: the live capture against the offline reading', () => {
    const decision = decideNow({ live: capturedOf({ phone: WRONG_PHONE }), offline: TRUE_LEAD });
    expect(decision.disputed).toEqual(['phone']);
    expect(decision.fields.full_name.ruling).toBe('single');
  });
});

describe('decidedResult', () => {
  const reading = (lead: Lead, errors: LeadField[] = [], reasons: ExtractionResult['reasons'] = {}): ExtractionResult => ({
    lead,
    complete: errors.length === 0 && LEAD_FIELDS.every((f) => lead[f] !== null),
    errors,
    missing: LEAD_FIELDS.filter((f) => lead[f] === null),
    reasons,
  });

  it('carries the error and reason of a reading whose value won (an Alaska ZIP)', () => {
    const alaska = full({ zip_code: '99501' });
    const offline = reading(alaska, ['zip_code'], { zip_code: 'the ZIP code is in Alaska' });
    const result = decidedResult(decideNow({ offline: alaska }), { offline });
    expect(result).toMatchObject({ complete: false, errors: ['zip_code'], reasons: { zip_code: 'the ZIP code is in Alaska' } });
  });

  it('a value the live capture accepted carries no error even where another reading marked its own value', () => {
    const offline = reading(full({ zip_code: '99501' }), ['zip_code'], { zip_code: 'the ZIP code is in Alaska' });
    const decision = decideNow({ live: capturedOf(TRUE_LEAD), offline: offline.lead });
    const result = decidedResult(decision, { offline });
    expect(decision.disputed).toEqual(['zip_code']);
    expect(result.errors).toEqual([]);
    expect(result.lead.zip_code).toBe('30093');
  });

  it('missing fields are missing, with the reading\'s reason', () => {
    const offline = reading(full({ phone: null }), [], { phone: 'no phone number given' });
    const result = decidedResult(decideNow({ offline: offline.lead }), { offline });
    expect(result).toMatchObject({ complete: false, missing: ['phone'], reasons: { phone: 'no phone number given' } });
  });
});
