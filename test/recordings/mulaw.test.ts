import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { MULAW_TO_PCM16 } from '../../src/recordings/mulaw.js';

describe('MULAW_TO_PCM16', () => {
  it('holds the G.711 values of known codes', () => {
    expect(MULAW_TO_PCM16).toHaveLength(256);
    const known: Array<[number, number]> = [
      [0xff, 0],
      [0x7f, 0],
      [0xfe, 8],
      [0x7e, -8],
      [0xf0, 120],
      [0xef, 132],
      [0xdf, 396],
      [0x8f, 16764],
      [0x80, 32124],
      [0x00, -32124],
    ];
    for (const [code, pcm] of known) expect(MULAW_TO_PCM16[code], `code 0x${code.toString(16)}`).toBe(pcm);
  });

  it('agrees with the mu-law decoder of the wavefile library on all 256 codes', () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '8m', codes);
    wav.fromMuLaw();
    const decoded = wav.getSamples(false, Int16Array) as unknown as Int16Array;
    expect(Array.from(MULAW_TO_PCM16)).toEqual(Array.from(decoded));
  });

  it('is odd-symmetric in the sign bit and monotonic within each sign', () => {
    for (let code = 0; code < 128; code++) {
      expect((MULAW_TO_PCM16[code] as number) + (MULAW_TO_PCM16[code | 0x80] as number)).toBe(0);
      if (code > 0) {
        // Larger codes are smaller magnitudes: 0x00 is the loudest negative, 0x7f silence.
        expect(MULAW_TO_PCM16[code] as number).toBeGreaterThan(MULAW_TO_PCM16[code - 1] as number);
        expect(MULAW_TO_PCM16[code | 0x80] as number).toBeLessThan(MULAW_TO_PCM16[(code - 1) | 0x80] as number);
      }
    }
  });
});
