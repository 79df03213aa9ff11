import { describe, expect, it } from 'vitest';
import { parseVehicle } from '../../../src/extraction/offline/vehicleText.js';
import { normalizeModel } from '../../../src/leads/normalize.js';

const NOW = new Date('2026-06-01T12:00:00Z');

/** The model a caller's vehicle answer gives once normalized, with the make it names or implies. */
function modelOf(text: string): { model: string | null; make: string | null } {
  const parts = parseVehicle(text, { focus: 'all', fuzzy: true, now: NOW });
  const model = normalizeModel(parts.model, parts.make);
  return { model: model.value, make: parts.make ?? model.impliedMake };
}

describe('a model said again after an article replaces the first try', () => {
  it.each([
    ["no not the four seater it's the krx the teryx krx one thousand", 'Teryx KRX 1000'],
    ["it's a sportsman, a sportsman five seventy", 'Sportsman 570'],
    ['the rzr the rzr xp one thousand', 'RZR XP 1000'],
  ])('%s', (text, model) => {
    expect(modelOf(text).model).toBe(model);
  });
});
