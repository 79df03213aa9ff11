import { describe, expect, it } from 'vitest';
import { readCallerTurn, opensWithCorrection } from '../../../src/extraction/offline/callerTurn.js';
import { emptyDraft } from '../../../src/extraction/offline/draftLead.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const all = { inPassingOnly: false } as const;

describe('readCallerTurn', () => {
  it('keeps an unknown make as a guess, never as the make', () => {
    const d = emptyDraft();
    readCallerTurn(d, 'A 2015 Wildfire WF150.', { kind: 'vehicle', focus: 'all' }, NOW, all);
    expect(d.vehicle).toEqual({ year: '2015', make: null, model: null });
    expect(d.makeGuess).toEqual({ make: 'Wildfire', model: 'WF150' });
  });

  it('a make said to be wrong is emptied and turned down', () => {
    const d = emptyDraft();
    d.vehicle = { year: '2018', make: 'Triumph', model: 'Scrambler' };
    readCallerTurn(d, "No, it's not a Triumph.", { kind: 'zip' }, NOW, all);
    expect(d.vehicle.make).toBeNull();
    expect(d.rejected.make).toEqual(['triumph']);
  });

  it('a year correction in a summary answer changes only the year', () => {
    const d = emptyDraft();
    d.vehicle = { year: '2016', make: 'Polaris', model: 'Slingshot SL' };
    readCallerTurn(d, 'The year is actually twenty seventeen.', null, NOW, all);
    expect(d.vehicle).toEqual({ year: '2017', make: 'Polaris', model: 'Slingshot SL' });
  });

  it('a spelled last name replaces the last name in a summary answer', () => {
    const d = emptyDraft();
    d.name = ['Ann', 'Smith'];
    readCallerTurn(d, 'The last name is S-M-Y-T-H-E.', null, NOW, all);
    expect(d.name).toEqual(['Ann', 'Smythe']);
  });

  it('knows a correction by its opening', () => {
    expect(opensWithCorrection('Hmm, no, actually it is 30093')).toBe(true);
    expect(opensWithCorrection('30093, no wait')).toBe(false);
  });
});

describe('readCallerTurn: a fix to part of the phone while answering something else', () => {
  const vehicle = { kind: 'vehicle', focus: 'all' } as const;
  const withPhone = (phone: string) => {
    const d = emptyDraft();
    d.phone = phone;
    return d;
  };

  it.each([
    [
      '3185550199',
      "i got a kawasaki brute force oh and sorry that phone number the last four are zero one nine one not zero one nine nine",
      '3185550191',
    ],
    ['404-555-0111', 'Actually, my number ends in 0144, not 0111.', '4045550144'],
    ['707-555-0123', 'wait the area code on my phone is seven seven oh not seven oh seven', '7705550123'],
  ])('%s + "%s"', (phone, text, fixed) => {
    const d = withPhone(phone);
    readCallerTurn(d, text, vehicle, NOW, all);
    expect(d.phone).toBe(fixed);
  });

  it('leaves the phone alone when the digits are about something else', () => {
    const d = withPhone('4045550111');
    readCallerTurn(d, "it's a 2019 Yamaha Grizzly 700, about four thousand miles, last one I've got", vehicle, NOW, all);
    expect(d.phone).toBe('4045550111');
    readCallerTurn(d, 'The VIN number ends in 4567 if that helps.', vehicle, NOW, all);
    expect(d.phone).toBe('4045550111');
  });
});
