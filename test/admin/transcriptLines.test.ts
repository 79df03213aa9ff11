import { describe, expect, it } from 'vitest';
import { linesSaying, transcriptLines } from '../../src/admin/transcriptLines.js';
import type { Turn } from '../../src/leads/lead.js';

const turns: Turn[] = [
  { role: 'assistant', text: "What's the ZIP code?" },
  { role: 'user', text: 'three oh oh nine three' },
  { role: 'assistant', text: 'That is 30093, right?' },
  { role: 'user', text: 'Yes.' },
  { role: 'assistant', text: 'And a good number?' },
  { role: 'user', text: 'Use the number I am calling from.' },
];

describe('transcriptLines', () => {
  it('numbers the turns from 0 and names the speaker', () => {
    expect(transcriptLines(turns.slice(0, 2))).toEqual([
      { index: 0, speaker: 'agent', text: "What's the ZIP code?" },
      { index: 1, speaker: 'caller', text: 'three oh oh nine three' },
    ]);
  });
});

describe('linesSaying', () => {
  it('the caller turns and confirmed read-backs that carry the value', () => {
    expect(linesSaying('zip_code', '30093', turns, null)).toEqual([1, 2]);
    expect(linesSaying('zip_code', '99501', turns, null)).toEqual([]);
  });

  it('the caller ID, when the caller asked for it', () => {
    expect(linesSaying('phone', '+14045550111', turns, '+14045550111')).toEqual([5]);
    expect(linesSaying('phone', '+14045550111', turns, null)).toEqual([]);
  });

  it('no value, no lines', () => {
    expect(linesSaying('zip_code', null, turns, null)).toEqual([]);
    expect(linesSaying('zip_code', undefined, turns, null)).toEqual([]);
  });
});
