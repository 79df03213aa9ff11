import { describe, expect, it } from 'vitest';
import { turnReading } from '../../src/sms/turnReading.js';
import { decidedResult, decideNow } from '../../src/extraction/fieldVote.js';
import { offlineExtraction, type Extraction } from '../../src/extraction/extractor.js';
import { LEAD_FIELDS, type ExtractionResult, type Lead, type LeadField } from '../../src/leads/lead.js';

const LEAD: Lead = {
  full_name: 'Tom Becker',
  zip_code: '32801',
  phone: '+14075550129',
  vehicle_year: 2014,
  vehicle_make: 'Suzuki',
  vehicle_model: 'V-Strom 650',
};

function result(lead: Partial<Lead>, errors: LeadField[] = [], reasons: ExtractionResult['reasons'] = {}): ExtractionResult {
  const full = { ...LEAD, ...lead };
  const missing = LEAD_FIELDS.filter((f) => full[f] === null);
  return { lead: full, complete: missing.length === 0 && errors.length === 0, errors, missing, reasons };
}

/** What the extractor returns when the LLM read the turn and was not asked again. */
function llmExtraction(llm: ExtractionResult, offline: ExtractionResult): Extraction {
  const decision = decideNow({ llm: llm.lead, offline: offline.lead });
  return { result: decidedResult(decision, { llm, offline }), source: 'llm', offline, disagreements: [], decision };
}

describe('turnReading', () => {
  it('is the offline reading when no LLM read the turn', () => {
    const offline = result({ vehicle_model: null }, [], { vehicle_model: 'not said' });
    expect(turnReading(offlineExtraction(offline, 'OpenAI unreachable'))).toBe(offline);
  });

  it('takes what only the LLM read, so the texter is not asked again for it', () => {
    const reading = turnReading(llmExtraction(result({}), result({ vehicle_model: null })));
    expect(reading.lead).toEqual(LEAD);
    expect(reading.missing).toEqual([]);
    expect(reading.complete).toBe(true);
  });

  it('keeps the offline value, its error and its reason where the two disagree', () => {
    const offline = result({ zip_code: '99501' }, ['zip_code'], { zip_code: 'Alaska' });
    const llm = result({ full_name: 'Tom Decker', zip_code: '99501' }, ['zip_code'], { zip_code: 'Alaska' });
    const reading = turnReading(llmExtraction(llm, result({ full_name: 'Tom Becker', zip_code: '99501' }, ['zip_code'], { zip_code: 'Alaska' })));
    expect(reading.lead.full_name).toBe('Tom Becker');
    expect(reading.errors).toEqual(['zip_code']);
    expect(reading.complete).toBe(false);

    const disputedZip = turnReading(llmExtraction(result({ zip_code: '32803' }), offline));
    expect(disputedZip.lead.zip_code).toBe('99501');
    expect(disputedZip.errors).toEqual(['zip_code']);
    expect(disputedZip.reasons.zip_code).toBe('Alaska');
  });

  it('keeps a value only the offline reader has', () => {
    const reading = turnReading(llmExtraction(result({ phone: null }), result({})));
    expect(reading.lead.phone).toBe(LEAD.phone);
  });
});
