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
