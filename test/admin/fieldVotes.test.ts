import { describe, expect, it } from 'vitest';
import { fieldVotes, witnessValues } from '../../src/admin/fieldVotes.js';
import type { DecisionRecord } from '../../src/db/decisionRepository.js';
import { decideNow } from '../../src/extraction/fieldVote.js';
import type { Lead } from '../../src/leads/lead.js';

const lead: Lead = { full_name: 'Ana Ruiz', zip_code: '30093', phone: '+14045551234', vehicle_year: 2021, vehicle_make: 'Honda', vehicle_model: 'Rebel 500' };

function record(fields: Record<string, unknown>, disputed: DecisionRecord['disputed']): DecisionRecord {
  return {
    id: 'x',
    channel: 'voice',
    sessionId: null,
    externalId: 'CA-x',
    leadData: lead,
    fields,
    disputed,
    reasked: false,
    review: disputed.length > 0 ? 'held' : 'none',
    reviewNote: null,
    decidedBy: null,
    decidedAt: null,
    createdAt: new Date(),
  };
}

describe('fieldVotes', () => {
  it('every field in the agent\'s order, each witness in the order of preference', () => {
    const decision = decideNow({ live: { phone: { value: '+14045551234', at: '2026-12-01T00:00:00Z', attempts: 1 } }, llm: lead, offline: { ...lead, phone: '+14045559999' } });
    const votes = fieldVotes(record(decision.fields, decision.disputed));
    expect(votes.map((v) => v.field)).toEqual(['full_name', 'zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model']);
    expect(votes[2]).toMatchObject({
      field: 'phone',
      value: '+14045551234',
      ruling: 'majority',
      disputed: false,
      witnesses: [
        { witness: 'live', value: '+14045551234' },
        { witness: 'llm', value: '+14045551234' },
        { witness: 'offline', value: '+14045559999' },
      ],
      for: ['live', 'llm'],
      llmFirst: null,
    });
    expect(votes[0]?.witnesses).toEqual([
      { witness: 'live', value: null },
      { witness: 'llm', value: 'Ana Ruiz' },
      { witness: 'offline', value: 'Ana Ruiz' },
    ]);
  });

  it('a disputed field is flagged', () => {
    const decision = decideNow({ live: { phone: { value: '+14045551234', at: '2026-12-01T00:00:00Z', attempts: 1 } }, offline: { ...lead, phone: '+14045559999' } });
    expect(fieldVotes(record(decision.fields, decision.disputed)).find((v) => v.field === 'phone')).toMatchObject({ ruling: 'disputed', disputed: true });
  });

  it('no decision, or verdicts that do not parse: no votes', () => {
    expect(fieldVotes(undefined)).toEqual([]);
    expect(fieldVotes(record({ phone: 'garbage' }, []))).toEqual([]);
  });

  it('witnessValues keeps the witnesses that testified, a missing value as null', () => {
    expect(witnessValues({ offline: 'a', live: undefined })).toEqual([
      { witness: 'live', value: null },
      { witness: 'offline', value: 'a' },
    ]);
  });
});
