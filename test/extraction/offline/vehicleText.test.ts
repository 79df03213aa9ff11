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

describe('models come out as the manufacturer writes them', () => {
  it.each([
    ['a twenty twenty three c f moto c force six hundred', 'CFORCE 600', 'CFMOTO'],
    ['2022 CF Moto Z Force 950 Sport', 'ZFORCE 950 Sport', 'CFMOTO'],
    ['twenty twenty four segway fugleman ut ten', 'Fugleman UT10', 'Segway'],
    ['a segway villain s x ten', 'Villain SX10', 'Segway'],
    ['2021 kawasaki teryx four', 'Teryx4', 'Kawasaki'],
    ['a twenty nineteen yamaha y x z one thousand r', 'YXZ1000R', 'Yamaha'],
    ['2020 yamaha wolverine r max four one thousand', 'Wolverine RMAX4 1000', 'Yamaha'],
    ['twenty twenty two ktm four fifty s x f', '450 SX-F', 'KTM'],
    ['a 2019 husqvarna fe three fifty', 'FE 350', 'Husqvarna'],
  ])('%s', (text, model, make) => {
    expect(modelOf(text)).toEqual({ model, make });
  });
});

describe('a model said again after an article replaces the first try', () => {
  it.each([
    ["no not the four seater it's the krx the teryx krx one thousand", 'Teryx KRX 1000'],
    ["it's a sportsman, a sportsman five seventy", 'Sportsman 570'],
    ['the rzr the rzr xp one thousand', 'RZR XP 1000'],
  ])('%s', (text, model) => {
    expect(modelOf(text).model).toBe(model);
  });
});
