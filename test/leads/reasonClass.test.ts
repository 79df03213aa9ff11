import { describe, expect, it } from 'vitest';
import { REASON_CLASSES, reasonClassOf } from '../../src/leads/reasonClass.js';

describe('reasonClassOf', () => {
  it.each([
    ['incomplete: caller hung up after zip_code', 'incomplete'],
    ['missing: phone, vehicle_year', 'incomplete'],
    ['incomplete: the call audio never started', 'incomplete'],
    ['invalid: zip_code (the ZIP code given is not a US ZIP code)', 'refused_zip'],
    ['missing: phone; invalid: zip_code (the ZIP code given is not a US ZIP code)', 'refused_zip'],
    ['invalid zip_code (not accepted)', 'refused_zip'],
    ['invalid: zip_code (the ZIP code is in Alaska; we do not buy vehicles in Alaska or Hawaii)', 'refused_zip'],
    ['invalid: phone, zip_code (the ZIP code is in Hawaii; we do not buy vehicles in Alaska or Hawaii)', 'refused_zip'],
    ['NPA API error: 500 Internal Server Error', 'npa_error'],
    ['submission pending: NPA API error: 503 Service Unavailable; the outbox will retry it', 'npa_error'],
    ['submission pending: timeout after 60000 ms; the outbox will finish it', 'npa_error'],
    ['submission pending: database unavailable (ECONNREFUSED); lead kept in the local spool', 'database'],
    ['could not record the lead: disk full', 'database'],
    ['model connection failed: timeout after 5000 ms; incomplete: caller hung up after zip_code', 'model_failure'],
    ['model connection lost: 1011', 'model_failure'],
    ['conversation failed: boom', 'model_failure'],
    ['extraction failed: timeout after 20000 ms', 'extraction_failed'],
    ['held for review: the witnesses disagree on zip_code', 'review'],
    ['something new', 'other'],
  ] as const)('%s -> %s', (reason, expected) => {
    expect(reasonClassOf(reason)).toBe(expected);
  });

  it('counts a missing reason as other, and only ever answers one of the fixed classes', () => {
    expect(reasonClassOf(null)).toBe('other');
    expect(reasonClassOf('')).toBe('other');
    for (const reason of ['John Carter 30093', 'x'.repeat(10_000), '\u0000;;;']) expect(REASON_CLASSES).toContain(reasonClassOf(reason));
  });
});
