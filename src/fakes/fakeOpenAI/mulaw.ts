/** G.711 mu-law helpers for the fake model's audio: 8 kHz, one byte per sample, so 8 bytes per millisecond. */

export const MULAW_BYTES_PER_MS = 8;

const BIAS = 0x84;
const CLIP = 32635;

/** Encode one signed 16-bit PCM sample as a mu-law byte (ITU-T G.711). */
export function linearToMulaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Decode a mu-law byte to a signed 16-bit PCM sample. */
export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? -magnitude : magnitude;
}

// One second of a quiet 440 Hz tone; audio chunks are cut from it cyclically (the content does not matter, the
// length does: it stands for the duration of speech).
const TONE = (() => {
  const samples = 8000;
  const out = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) out[i] = linearToMulaw(4000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return out;
})();

/** `ms` milliseconds of tone as mu-law bytes, starting `offsetMs` into the tone so consecutive chunks join up. */
export function toneMulaw(ms: number, offsetMs = 0): Buffer {
  const length = Math.max(0, Math.round(ms * MULAW_BYTES_PER_MS));
  const out = Buffer.alloc(length);
  let src = Math.round(offsetMs * MULAW_BYTES_PER_MS) % TONE.length;
  for (let i = 0; i < length; i++) {
    out[i] = TONE[src] ?? 0xff;
    src = src + 1 === TONE.length ? 0 : src + 1;
  }
  return out;
}
