import { describe, expect, it } from 'vitest';
import { applyReadBack, cloneDraft, emptyDraft, reject, valueKey } from '../../../src/extraction/offline/draftLead.js';

describe('draftLead', () => {
  it('compares phones and ZIPs by digits, years by their last two digits', () => {
    expect(valueKey('phone', '404-555-0111')).toBe(valueKey('phone', '4045550111'));
    expect(valueKey('year', "'19")).toBe(valueKey('year', '2019'));
    expect(valueKey('model', 'Gold Wing')).toBe(valueKey('model', 'goldwing'));
  });

  it('a rejected value is emptied and no read-back brings it back, weak or strong', () => {
    const d = emptyDraft();
    d.vehicle = { year: '2013', make: 'Harley-Davidson', model: 'Fat Boy' };
    reject(d, 'model', 'Fat Boy');
    expect(d.vehicle.model).toBeNull();
    applyReadBack(d, { vehicle: { year: '2013', make: 'Harley-Davidson', model: 'Fat Boy' } }, true);
    expect(d.vehicle.model).toBeNull();
    applyReadBack(d, { vehicle: { year: '2013', make: 'Harley-Davidson', model: 'Fat Bob' } }, true);
    expect(d.vehicle.model).toBe('Fat Bob');
  });

  it('a weak read-back only fills empty fields; a strong one replaces', () => {
    const d = emptyDraft();
    d.zip = '30093';
    applyReadBack(d, { zip: '30039', phone: '404-555-0111' }, false);
    expect([d.zip, d.phone]).toEqual(['30093', '404-555-0111']);
    applyReadBack(d, { zip: '30039' }, true);
    expect(d.zip).toBe('30039');
  });

  it('a clone shares nothing mutable', () => {
    const d = emptyDraft();
    const c = cloneDraft(d);
    c.name.push('Ann');
    c.locked.add('Ann');
    c.vehicle.year = '2020';
    c.rejected.zip.push('30039');
    expect(d).toEqual(emptyDraft());
  });
});
