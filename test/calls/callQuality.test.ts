import { describe, expect, it } from 'vitest';
import { callQuality, type CallQualityInput } from '../../src/calls/callQuality.js';
import type { LeadDecision } from '../../src/extraction/fieldVote.js';
import type { Turn } from '../../src/leads/lead.js';

const agent = (text: string): Turn => ({ role: 'assistant', text });
const caller = (text: string): Turn => ({ role: 'user', text });

/** A call whose answers are known: the ZIP read back wrong and corrected, the phone asked twice. */
const TRANSCRIPT: Turn[] = [
  agent('Thanks for calling Power Sport Buyers! May I have your full name, please?'),
  caller('John Carter.'),
  agent('John Carter, is that right?'),
  caller('Yes.'),
  agent("Thanks, John. What's the ZIP code where the vehicle is?"),
  caller('three oh oh nine three'),
  agent('That is 30098, is that right?'),
  caller('No, it is three oh oh nine three.'),
  agent('Sorry about that, 30093, correct?'),
  caller('Correct.'),
  agent("What's the best number to call you back?"),
  caller('Uh, hold on a second.'),
  agent("No problem. What's the best phone number to reach you?"),
  caller('404-555-0111.'),
  agent('And the year, make and model?'),
  caller('A 2019 Harley Davidson Street Glide.'),
  agent('Thanks, John! A buyer will call you back shortly. Goodbye.'),
];

function input(overrides: Partial<CallQualityInput> = {}): CallQualityInput {
  return {
    transcript: TRANSCRIPT,
    durationMs: 61_234.56,
    bargeIns: 1,
    deadAir: { count: 2, longestMs: 4100.04, thresholdMs: 3000 },
    waits: { greeting: [412.33], response: [800, 650.26], response_relay: [0.04, 0.31], barge_in: [0.04], barge_in_heard: [260.04], goodbye: [1500] },
    leadDeliveryMs: 35.5,
    captured: {},
    decision: null,
    endReason: 'goodbye',
    outcome: 'succeeded',
    now: new Date('2026-06-01T12:00:00Z'),
    ...overrides,
  };
}

describe('callQuality', () => {
  it('counts the turns by side and copies the counters, the waits and the outcome', () => {
    const quality = callQuality(input());
    expect(quality).toMatchObject({
      durationMs: 61_234.6,
      turns: { agent: 9, caller: 8 },
      bargeIns: 1,
      deadAir: { count: 2, longestMs: 4100, thresholdMs: 3000 },
      waits: {
        greetingMs: 412.3,
        responseMs: [800, 650.3],
        responseRelayMs: [0, 0.3],
        bargeInMs: [0],
        bargeInHeardMs: [260],
        goodbyeMs: 1500,
        leadDeliveryMs: 35.5,
      },
      endReason: 'goodbye',
      outcome: 'succeeded',
    });
  });

  it('waits never observed are null or empty', () => {
    const quality = callQuality(input({ waits: {}, leadDeliveryMs: null, durationMs: null }));
    expect(quality.durationMs).toBeNull();
    expect(quality.waits).toEqual({
      greetingMs: null,
      responseMs: [],
      responseRelayMs: [],
      bargeInMs: [],
      bargeInHeardMs: [],
      goodbyeMs: null,
      leadDeliveryMs: null,
    });
  });

  it.each([
    // field, attempts (from the agent's questions), read-back corrected
    ['full_name', 1, false],
    ['zip_code', 1, true],
    ['phone', 2, false],
    ['vehicle_year', 1, false],
    ['vehicle_make', 1, false],
    ['vehicle_model', 1, false],
  ] as const)('without a live capture, %s: %i attempts asked, corrected %s', (field, attempts, corrected) => {
    expect(callQuality(input()).fields[field]).toEqual({ attempts, attemptsFrom: 'asked', readBackCorrected: corrected, agreement: null });
  });

  it('the live capture\'s attempts win over the questions counted', () => {
    const quality = callQuality(input({ captured: { phone: { value: '+14045550111', at: '2026-06-01T12:00:00Z', attempts: 3 } } }));
    expect(quality.fields.phone).toMatchObject({ attempts: 3, attemptsFrom: 'capture' });
    expect(quality.fields.zip_code).toMatchObject({ attempts: 1, attemptsFrom: 'asked' });
  });

  it('a read-back with no value in it, answered with a correction, is about the field last asked', () => {
    const transcript = [agent('May I have your full name?'), caller('Jon Carter.'), agent('Jon Carter, is that right?'), caller('Nope, John with an h.')];
    const quality = callQuality(input({ transcript }));
    expect(quality.fields.full_name).toMatchObject({ attempts: 1, readBackCorrected: true });
    expect(quality.fields.zip_code).toMatchObject({ attempts: 0, readBackCorrected: false });
  });

  it('a field never asked for has no attempts', () => {
    expect(callQuality(input({ transcript: [] })).fields.phone).toEqual({ attempts: 0, attemptsFrom: 'asked', readBackCorrected: false, agreement: null });
  });

  it('the agreement per field is the vote\'s ruling', () => {
    const verdict = (ruling: string) => ({ value: null, ruling, witnesses: {}, for: [], why: '' });
    const decision = {
      fields: {
        full_name: verdict('agreed'),
        zip_code: verdict('majority'),
        phone: verdict('disputed'),
        vehicle_year: verdict('single'),
        vehicle_make: verdict('agreed'),
        vehicle_model: verdict('none'),
      },
    } as unknown as LeadDecision;
    const fields = callQuality(input({ decision })).fields;
    expect([fields.full_name, fields.zip_code, fields.phone, fields.vehicle_year, fields.vehicle_model].map((f) => f?.agreement)).toEqual([
      'agreed', 'majority', 'disputed', 'single', 'none',
    ]);
  });
});
