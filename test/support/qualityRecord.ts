import type { CallQuality } from '../../src/db/entities/sessionState.js';

/** A call's quality record as src/calls/callQuality.ts writes it, with `overrides` on top (waits merged). */
export function qualityRecord(overrides: Partial<Omit<CallQuality, 'waits'>> & { waits?: Partial<CallQuality['waits']> } = {}): CallQuality {
  const { waits, ...rest } = overrides;
  return {
    durationMs: 60_000,
    turns: { agent: 6, caller: 5 },
    bargeIns: 0,
    deadAir: { count: 0, longestMs: 0, thresholdMs: 3000 },
    waits: {
      greetingMs: 900,
      responseMs: [400, 500, 600],
      responseRelayMs: [],
      bargeInMs: [],
      bargeInHeardMs: [],
      goodbyeMs: 1200,
      leadDeliveryMs: 300,
      ...waits,
    },
    fields: {},
    endReason: 'goodbye',
    outcome: 'succeeded',
    ...rest,
  };
}
