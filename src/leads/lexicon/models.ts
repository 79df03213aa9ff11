import { compactKey } from './editDistance.js';

/**
 * Well-known model names: the spelling the manufacturer uses, the make it implies (null when two makes sell a
 * model of that name, so the make must come from the caller), and other spoken forms.
 */
interface ModelEntry {
  readonly name: string;
  readonly make: string | null;
  readonly aliases?: readonly string[];
}

const m = (make: string | null, ...names: (string | [string, ...string[]])[]): ModelEntry[] =>
  names.map((n) => (typeof n === 'string' ? { name: n, make } : { name: n[0], make, aliases: n.slice(1) }));

const MODELS: readonly ModelEntry[] = [
  ...m('Harley-Davidson', 'Road King', 'Street Glide', 'Road Glide', ['Fat Boy', 'fatboy'], 'Sportster', 'Softail',
    'Electra Glide', 'Dyna', 'Heritage Classic', 'Fat Bob', 'Low Rider', 'Breakout', 'Iron 883', 'Iron 1200',
    ['Forty-Eight', 'forty eight'], 'Nightster', 'Pan America', 'Tri Glide', 'Street Bob', 'Wide Glide',
    'Ultra Limited', 'Ultra Classic', 'Ultra Glide', 'Super Glide', 'Night Rod', ['V-Rod', 'vrod'],
    'Road Glide Special', 'Street Glide Special', 'Road King Special', 'Heritage', 'Sport Glide',
    'Freewheeler', 'Seventy-Two', 'Night Train', 'Springer'),
  ...m('Honda', ['Gold Wing', 'goldwing'], 'Rebel', 'Shadow', 'Africa Twin', 'Grom', 'CRF', 'CBR', 'Talon',
    'Pioneer', 'Rancher', 'Foreman', 'Rubicon', ['FourTrax', 'four trax'], 'Recon', 'Valkyrie', 'Fury', 'VTX',
    'Ruckus', 'Metropolitan', 'Navi', 'Monkey', 'Trail 125', 'Super Cub', 'Magna', 'Interceptor', 'CB', 'XR',
    'Silver Wing', 'Big Red', 'NC750X', 'Transalp', 'Hornet'),
  ...m('Yamaha', 'Grizzly', 'Kodiak', 'Rhino', 'Raptor', 'YFZ', ['WaveRunner', 'wave runner'], ['MT-07', 'mt07', 'mt seven'],
    ['MT-09', 'mt09', 'mt nine'], ['MT-10', 'mt10'], ['MT-03', 'mt03'], 'R1', 'R6', 'R3', 'R7', 'YZ', 'TW200', 'Wolverine',
    'Viking', 'YXZ', 'Banshee', ['V Star', 'vstar'], 'Bolt', 'FZ', ['Ténéré', 'tenere'], 'Tracer', 'VX', 'FX',
    ['SuperJet', 'super jet'], 'GP1800', 'Zuma', 'Sidewinder', 'SRViper', 'Royal Star', 'Road Star',
    'Stratoliner', 'Virago', 'XT', 'TTR', 'Blaster', 'Big Bear', 'YZF', 'FJR', 'Super Tenere',
    'Transporter', 'SRX', 'Phazer', 'Apex', 'Nytro', 'VK', ['RMAX2', 'r max 2', 'rmax 2'],
    ['RMAX4', 'r max 4', 'rmax 4']),
  ...m('Kawasaki', 'Ninja', 'Z900', 'Z650', 'Z400', 'Z125', 'Vulcan', 'KLR', 'KX', 'KLX', 'Teryx', 'Mule',
    'Brute Force', ['Jet Ski', 'jetski'], 'Ultra', 'STX', 'SX-R', 'Versys', 'Concours', 'KRX', 'Prairie', 'Bayou',
    'ZX', 'Eliminator', 'Z1000', 'Z H2', 'KFX', 'Voyager', 'Nomad', ['Teryx4', 'teryx 4'], ['KRX4', 'krx 4'],
    ['Mule PRO-FXT', 'mule pro fxt'], ['Mule PRO-FX', 'mule pro fx'], ['Mule PRO-MX', 'mule pro mx']),
  ...m('Suzuki', ['V-Strom', 'vstrom', 'v strom'], 'Hayabusa', ['GSX-R', 'gsxr', 'gixxer'], ['KingQuad', 'king quad'],
    'Boulevard', 'SV650', 'DR650', ['DR-Z400', 'drz400', 'drz'], 'Burgman', 'Katana', 'Bandit', 'Intruder',
    'Vinson', 'Eiger', 'Ozark', 'LTZ', 'RM', 'RMZ', 'DR200', 'TU250', 'GSX', 'Marauder', 'Savage'),
  ...m('Polaris', 'Slingshot', 'RZR', 'Ranger', 'Sportsman', 'General', 'RMK', 'Switchback Assault', 'Indy', 'Titan',
    'Pro RMK', 'Xpedition', 'Trail Boss', 'Xplorer', 'Hawkeye',
    'Brutus', 'Voyageur', 'Khaos', 'IQ', 'Xpress'),
  ...m('Can-Am', 'Commander', 'Outlander', 'Maverick', 'Defender', 'Spyder', 'Ryker', 'DS 450', 'DS 650',
    'Traxter'),
  ...m('Sea-Doo', ['Spark Trixx', 'spark tricks', 'spark trix'], 'Spark', 'GTX', 'RXP', 'RXT', 'GTI', 'Fish Pro', 'Wake Pro', 'GTR', 'GTS', 'Speedster',
    ['RXP-X', 'rxp x', 'rxpx'], ['RXT-X', 'rxt x', 'rxtx']),
  ...m('Ski-Doo', 'Summit', 'MXZ', 'Backcountry', 'Freeride', 'Expedition', 'Skandic', 'Tundra', 'Grand Touring',
    'Mach Z'),
  ...m('Arctic Cat', 'ZR', 'M 8000', 'M 6000', 'M8000', 'Catalyst', 'Riot', 'Wildcat', 'Prowler', 'Alterra',
    'Bearcat', 'Pantera', 'Norseman', 'Crossfire', 'Firecat', 'Sno Pro', 'Thundercat', 'ZL', 'Mountain Cat'),
  ...m('Ducati', 'Monster', 'Panigale', 'Multistrada', 'Diavel', 'Hypermotard', 'Streetfighter', 'SuperSport',
    'Desert X', 'Superbike', 'XDiavel', 'Monster 821', 'Supersport'),
  ...m('Triumph', 'Bonneville', 'Street Triple', 'Speed Triple', 'Tiger', 'Thruxton', 'Rocket 3', 'Trident',
    'Speed Twin', 'Street Twin', 'Daytona', 'Speedmaster', 'Thunderbird'),
  ...m('Indian', ['Scout Sixty', 'scout 60'], ['Scout Rogue', 'scout rogue'], 'Scout', 'Chief', 'Chieftain', 'Roadmaster', 'Springfield', 'FTR', 'Pursuit', 'Super Chief',
    'Dark Horse', 'Scout Bobber'),
  ...m('KTM', 'Duke', 'Super Adventure', 'Super Duke', 'EXC', 'SX', 'XC-W', 'SMC', 'RC 390', ['SX-F', 'sx f', 'sxf'],
    ['EXC-F', 'exc f', 'excf'], ['XC-F', 'xc f', 'xcf']),
  ...m('BMW', 'R 1250 GS', 'R 1200 GS', 'S 1000 RR', 'K 1600', 'R nineT', 'F 850 GS', 'G 310'),
  ...m('Husqvarna', 'Svartpilen', 'Vitpilen', 'Norden'),
  // CFMOTO prints its lines in capitals: "CFORCE 600", "ZFORCE 950", "UFORCE 1000".
  ...m('CFMOTO', ['CFORCE', 'c force'], ['ZFORCE', 'z force'], ['UFORCE', 'u force'], 'Ibex', 'Papio'),
  ...m('Kymco', 'MXU', 'UXV', 'Mongoose'),
  // Segway joins the letters and the number of a trim: "Fugleman UT10", "Villain SX10", "Snarler AT6".
  ...m('Segway', 'Villain', 'Snarler', 'Fugleman', ['UT10', 'ut 10'], ['SX10', 'sx 10'], ['Snarler AT6', 'snarler at 6'],
    ['Snarler AT5', 'snarler at 5']),
  ...m('Textron', 'Havoc', 'Stampede', 'Wildcat XX'),
  ...m('Victory', 'Vegas', 'Cross Country', 'Kingpin', 'Octane', 'High-Ball'),
  ...m('Vespa', 'Primavera', 'GTS 300'),
  ...m('Royal Enfield', 'Himalayan', 'Continental GT', 'Classic 350', 'Bullet', 'Meteor', 'Hunter 350'),
  ...m('Aprilia', 'RSV4', 'Tuono', 'RS 660', 'Shiver', 'Dorsoduro'),
  ...m('Moto Guzzi', 'V7', 'V85', 'Stelvio'),
  ...m('Buell', 'Ulysses', 'Firebolt', 'Blast 500'),
  ...m('Lynx', 'Rave', 'Boondocker'),
  // Names two makes sell: knowing the model alone must not guess the make.
  ...m(null, 'Renegade', 'Scrambler', 'Challenger', 'Switchback', 'Blast'),
];

/** Trim and displacement words whose spelling is fixed (upper case, hyphens). */
const TRIM_WORDS: readonly string[] = [
  'XP', 'XT', 'XTP', 'XMR', 'XR', 'XC', 'XCR', 'EPS', 'LE', 'SE', 'GT', 'GTS', 'RS', 'RR', 'SP', 'ABS', 'DCT', 'CVO',
  'ST', 'LT', 'SXS', 'HO', 'RXS', 'RXT-X', 'DPS', 'MAX', 'TRX', 'FI', 'EFI', '4x4', 'SHO', 'HD', 'XRS', 'XRC',
  'RX', 'SL', 'EX', 'S', 'R', 'X', 'Pro', 'Trail', 'Turbo', 'Premium', 'Ultimate', 'Sport', 'Limited', 'Special',
  'Classic', 'Touring', 'Standard', 'Base', 'Crew', 'Northstar', 'Highlifter', 'Mud', 'Edition',
  'Adventure', 'Rally', 'Super', 'Black', 'Bobber', 'Custom', 'Street', 'Road', 'Glide', 'King', 'Quad', 'Twin',
  'Cruiser', 'Sport Touring', 'XPS', 'XPT', 'VLX', 'XPLR',
  // Husqvarna and GasGas families, written in capitals apart from the displacement ("FE 350", "TC 250").
  'FE', 'FC', 'TE', 'TC', 'TX', 'MC', 'EC',
];

interface CanonicalForm {
  readonly text: string;
  readonly make: string | null;
  /** How many tokens the spoken form spans, to prefer the longest match. */
  readonly words: number;
}

const MODEL_FORMS = new Map<string, CanonicalForm>();
const TRIM_FORMS = new Map<string, string>();
for (const entry of MODELS) {
  for (const form of [entry.name, ...(entry.aliases ?? [])]) {
    const key = compactKey(form);
    if (key !== '' && !MODEL_FORMS.has(key)) {
      MODEL_FORMS.set(key, { text: entry.name, make: entry.make, words: form.split(/[\s-]+/).length });
    }
  }
}
for (const trim of TRIM_WORDS) TRIM_FORMS.set(compactKey(trim), trim);

/** A well-known model for an exact key (see compactKey), with the make it implies (null when ambiguous). */
export function modelForKey(key: string): { text: string; make: string | null } | null {
  const form = MODEL_FORMS.get(key);
  return form === undefined ? null : { text: form.text, make: form.make };
}

/** The manufacturer's spelling of one trim word ("xp" -> "XP"), or null when it is not a known trim word. */
export function trimForKey(key: string): string | null {
  return TRIM_FORMS.get(key) ?? null;
}

/** The make a model name implies, or null when unknown or sold under two makes ("Road King" -> Harley-Davidson). */
export function makeForModel(model: string): string | null {
  const words = model.split(/\s+/).filter((w) => w !== '');
  for (let n = Math.min(3, words.length); n >= 1; n--) {
    for (let i = 0; i + n <= words.length; i++) {
      const found = modelForKey(compactKey(words.slice(i, i + n).join('')));
      if (found !== null) return found.make;
    }
  }
  return null;
}
