import { describe, expect, it } from 'vitest';
import { canonicalMake, MAKES } from '../../../src/leads/lexicon/makes.js';
import { makeForModel } from '../../../src/leads/lexicon/models.js';
import { formatModel } from '../../../src/leads/lexicon/modelName.js';

describe('canonicalMake', () => {
  it.each([
    ['harley', 'Harley-Davidson'],
    ['harley davidson', 'Harley-Davidson'],
    ['Harley-Davidson', 'Harley-Davidson'],
    ['h-d', 'Harley-Davidson'],
    ['can am', 'Can-Am'],
    ['canam', 'Can-Am'],
    ['CAN-AM', 'Can-Am'],
    ['see-doo', 'Sea-Doo'],
    ['sea doo', 'Sea-Doo'],
    ['ski doo', 'Ski-Doo'],
    ['artic cat', 'Arctic Cat'],
    ['cf moto', 'CFMOTO'],
    ['kawasacki', 'Kawasaki'],
    ['Cawasaki', 'Kawasaki'],
    ['yamahah', 'Yamaha'],
    ['Yamahaw', 'Yamaha'],
    ['polaris', 'Polaris'],
    ['Pollaris', 'Polaris'],
    ['husqvarnna', 'Husqvarna'],
    ['ktm', 'KTM'],
    ['bmw', 'BMW'],
    ['gas gas', 'GasGas'],
    ['royal enfield', 'Royal Enfield'],
    ['zero motorcycles', 'Zero'],
  ])('%s -> %s', (spoken, make) => {
    expect(canonicalMake(spoken)).toBe(make);
  });

  it('refuses ordinary words near a make', () => {
    expect(canonicalMake('Indiana')).toBeNull();
    expect(canonicalMake('zero')).toBeNull();
    expect(canonicalMake('honey')).toBeNull();
    expect(canonicalMake('')).toBeNull();
  });

  it('maps every canonical make to itself', () => {
    // "Zero" alone is a digit; only "Zero Motorcycles" names the make.
    for (const make of MAKES.filter((m) => m !== 'Zero')) expect(canonicalMake(make)).toBe(make);
  });
});

describe('makeForModel', () => {
  it.each([
    ['Road King', 'Harley-Davidson'],
    ['Street Glide Special', 'Harley-Davidson'],
    ['Gold Wing', 'Honda'],
    ['RZR XP 1000', 'Polaris'],
    ['Grizzly 700', 'Yamaha'],
    ['Outlander 570', 'Can-Am'],
    ['GTX 300', 'Sea-Doo'],
    ['Ninja 650', 'Kawasaki'],
    ['V-Strom 650', 'Suzuki'],
    ['MXZ', 'Ski-Doo'],
    ['ZR 6000', 'Arctic Cat'],
    ['Scout Bobber', 'Indian'],
    ['Slingshot SL', 'Polaris'],
    ['Spyder RT', 'Can-Am'],
  ])('%s -> %s', (model, make) => {
    expect(makeForModel(model)).toBe(make);
  });

  it('does not guess a make for a model two makes sell', () => {
    expect(makeForModel('Renegade')).toBeNull();
    expect(makeForModel('Scrambler 1200')).toBeNull();
    expect(makeForModel('Something Unknown')).toBeNull();
  });
});

describe('formatModel', () => {
  it.each([
    [['goldwing'], 'Gold Wing'],
    [['vstrom', '650'], 'V-Strom 650'],
    [['rzr', 'xp', '1000'], 'RZR XP 1000'],
    [['mt', '07'], 'MT-07'],
    [['z900'], 'Z900'],
    [['outlander', '570'], 'Outlander 570'],
    [['gsxr', '750'], 'GSX-R750'],
    [['crf', '250', 'r'], 'CRF250R'],
    [['prowler', 'xt', '650'], 'Prowler XT 650'],
    [['street', 'glide'], 'Street Glide'],
    [['fat', 'boy'], 'Fat Boy'],
  ])('%j -> %s', (words, text) => {
    expect(formatModel(words).text).toBe(text);
  });

  it('reports the make the model implies, or null when ambiguous', () => {
    expect(formatModel(['sportster', '883']).impliedMake).toBe('Harley-Davidson');
    expect(formatModel(['renegade', '850']).impliedMake).toBeNull();
  });
});
