import { describe, expect, it } from 'vitest';
import type { Turn } from '../../../src/leads/lead.js';
import { leadOfReading, readTurn, startReading } from '../../../src/extraction/offline/offlineReading.js';
import { sampleConversation } from '../../support/sharedTranscripts.js';

const NOW = new Date('2026-06-01T12:00:00Z');

describe('offlineReading', () => {
  it('readTurn leaves the reading it was given as it was', () => {
    const { turns } = sampleConversation('public-01.json');
    const readings = [startReading()];
    for (const turn of turns) readings.push(readTurn(readings.at(-1) ?? startReading(), turn, NOW));
    const snapshot = JSON.stringify(readings.map((r) => ({ ...r, draft: { ...r.draft, locked: [...r.draft.locked] } })));
    // Reading every prefix again from its kept reading changes none of the kept ones.
    readings.forEach((r, i) => {
      const turn = turns[i];
      if (turn !== undefined) readTurn(r, { ...turn, text: `${turn.text} no, actually 2011` }, NOW);
    });
    expect(JSON.stringify(readings.map((r) => ({ ...r, draft: { ...r.draft, locked: [...r.draft.locked] } })))).toBe(snapshot);
    expect(leadOfReading(readings.at(-1) ?? startReading(), null, NOW).lead.vehicle_model).toBe('Street Glide');
  });

  it('gives no lead before the caller says anything', () => {
    const agentOnly: Turn = { role: 'assistant', text: "Got it, 30093. What's your phone number?" };
    expect(leadOfReading(readTurn(startReading(), agentOnly, NOW), null, NOW).lead.zip_code).toBeNull();
  });

  it('counts a read-back still awaiting its answer weakly', () => {
    const r = [
      { role: 'user', text: 'Hi.' },
      { role: 'assistant', text: 'Your ZIP is 30093, is that right?' },
    ].reduce((acc, t) => readTurn(acc, t as Turn, NOW), startReading());
    expect(leadOfReading(r, null, NOW).lead.zip_code).toBe('30093');
  });
});
