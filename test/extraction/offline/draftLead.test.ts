import { describe, expect, it } from 'vitest';
import { applyPhone, applyReadBack, cloneDraft, emptyDraft, reject, valueKey } from '../../../src/extraction/offline/draftLead.js';

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

describe('applyPhone: a fix to part of a number the agent read back', () => {
  it.each([
    ['404-555-0111', 'no, the last four are zero one four four', '4045550144'],
    ['404-555-0111', 'the area code is seven seven oh', '7705550111'],
  ])('%s + "%s"', (phone, text, fixed) => {
    const d = emptyDraft();
    d.phone = phone;
    applyPhone(d, text);
    expect(d.phone).toBe(fixed);
  });
});
