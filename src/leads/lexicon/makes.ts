import { compactKey, editDistance } from './editDistance.js';

/** Canonical manufacturer names, as a lead carries them. */
export const MAKES = [
  'Harley-Davidson', 'Honda', 'Yamaha', 'Kawasaki', 'Suzuki', 'Polaris', 'Can-Am', 'Sea-Doo', 'Ski-Doo',
  'Arctic Cat', 'KTM', 'Ducati', 'BMW', 'Triumph', 'Indian', 'Husqvarna', 'CFMOTO', 'Kymco', 'Segway', 'Textron',
  'Moto Guzzi', 'Aprilia', 'MV Agusta', 'Royal Enfield', 'Beta', 'GasGas', 'Sherco', 'Victory', 'Buell',
  'Zero', 'Vespa', 'Piaggio', 'Hisun', 'Massimo', 'Tracker', 'Kubota', 'John Deere', 'Lynx', 'Bombardier',
  'Benelli', 'Hyosung', 'SSR', 'Coleman', 'Intimidator', 'American IronHorse', 'Big Dog', 'Tao Motor',
  'LiveWire', 'Mahindra', 'Bennche', 'Odes', 'Cushman',
] as const;


/** Spoken and misrecognized forms of each make (besides the canonical name itself). */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  'Harley-Davidson': ['harley', 'harley davidson', 'harleydavidson', 'h-d', 'hd', 'harly', 'harley davison', 'harly davidson'],
  Honda: ['hondo'],
  Yamaha: ['yamahah', 'yamahaw', 'yamaha', 'yammaha', 'yamaha motor'],
  Kawasaki: ['kawasacki', 'cawasaki', 'kawasaky', 'kawi', 'kawazaki'],
  Suzuki: ['suzooki', 'susuki'],
  Polaris: ['pollaris', 'polarus'],
  'Can-Am': ['can am', 'canam', 'can-am', 'can ams', 'canaan', 'can-ams', 'kan am'],
  'Sea-Doo': ['sea doo', 'seadoo', 'see-doo', 'see doo', 'seedoo', 'c-doo', 'c doo', 'sea-do', 'sea do'],
  'Ski-Doo': ['ski doo', 'skidoo', 'ski-do', 'skee doo', 'ski do'],
  'Arctic Cat': ['arctic cat', 'artic cat', 'arcticcat', 'arctic kat', 'arctic-cat', 'artic-cat'],
  KTM: ['k t m', 'k-t-m'],
  Ducati: ['dukati', 'ducatti'],
  BMW: ['b m w', 'b-m-w', 'beemer', 'bimmer'],
  Triumph: ['triumf'],
  Indian: ['indian motorcycle', 'indian motorcycles'],
  Husqvarna: ['husky', 'husqvarna', 'husqvarna motorcycles', 'huskvarna'],
  CFMOTO: ['cf moto', 'cfmoto', 'c f moto', 'cf-moto', 'see ef moto'],
  Kymco: ['kimco'],
  Segway: ['segway powersports'],
  Textron: ['textron off road', 'textron offroad'],
  'Moto Guzzi': ['guzzi', 'moto guzzi'],
  'MV Agusta': ['mv augusta', 'm v agusta'],
  'Royal Enfield': ['enfield'],
  GasGas: ['gas gas', 'gasgas', 'gas-gas'],
  Zero: ['zero motorcycles', 'zero motorcycle'],
  Hisun: ['hi sun', 'hisun'],
  Kubota: [],
  'John Deere': ['deere'],
  LiveWire: ['live wire'],
  Bombardier: ['bombadier'],
  Mahindra: [],
};

const ALIAS_TO_MAKE = new Map<string, string>();
for (const make of MAKES) ALIAS_TO_MAKE.set(compactKey(make), make);
for (const [make, aliases] of Object.entries(ALIASES)) {
  for (const alias of aliases) ALIAS_TO_MAKE.set(compactKey(alias), make);
}
// "Zero" alone is a digit far more often than a brand; only "Zero Motorcycles" names the make.
ALIAS_TO_MAKE.delete('zero');

/** Ordinary words that sit within a small edit distance of a make and must never be read as one. */
const NOT_MAKES = new Set([
  'indiana', 'indians', 'honey', 'handa', 'sunday', 'monday', 'polar', 'tracker', 'trucker', 'better', 'victor',
  'victoria', 'triumphs', 'honor', 'panda', 'hands', 'lynch', 'links',
]);

/** Keys of at least this length may be matched with one edit; twice this length, with two. */
const FUZZY_MIN_LENGTH = 5;

/** The canonical make for an exact alias key (see compactKey), or null. */
export function makeForKey(key: string): string | null {
  return ALIAS_TO_MAKE.get(key) ?? null;
}

/** The canonical make closest to a key within a small edit distance, or null when none is close enough. */
export function fuzzyMakeForKey(key: string): string | null {
  if (key.length < FUZZY_MIN_LENGTH || NOT_MAKES.has(key)) return null;
  const limit = key.length >= FUZZY_MIN_LENGTH * 2 - 2 ? 2 : 1;
  let best: { make: string; distance: number } | null = null;
  for (const [alias, make] of ALIAS_TO_MAKE) {
    if (alias.length < FUZZY_MIN_LENGTH || Math.abs(alias.length - key.length) > limit) continue;
    const distance = editDistance(alias, key);
    if (distance <= limit && (best === null || distance < best.distance)) best = { make, distance };
  }
  return best?.make ?? null;
}

/** The canonical make a spoken or typed name stands for (case, spacing, hyphens and small slips forgiven). */
export function canonicalMake(text: string): string | null {
  const key = compactKey(text);
  if (key === '') return null;
  return makeForKey(key) ?? fuzzyMakeForKey(key);
}
