/**
 * G.711 mu-law decoding for recordings: Twilio Media Streams carry 8 kHz mu-law, one byte a sample. A table of all
 * 256 codes makes decoding one lookup a sample on the flush path.
 */

const BIAS = 0x84;

/** The signed 16-bit PCM value of each mu-law code (ITU-T G.711): 0xFF and 0x7F are 0, 0x80 is +32124, 0x00 -32124. */
export const MULAW_TO_PCM16: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    // Codes are sent inverted; the top bit is then the sign (set: negative).
    const u = ~code & 0xff;
    const exponent = (u >> 4) & 0x07;
    const mantissa = u & 0x0f;
    const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    table[code] = u & 0x80 ? -magnitude : magnitude;
  }
  return table;
})();
