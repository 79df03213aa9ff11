import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { parseWavHeader, WAV_HEADER_BYTES, wavHeader, WavHeaderError, type WavHeaderProblem } from '../../src/recordings/wavHeader.js';

const STEREO_8K = { channels: 2, sampleRate: 8000, bitsPerSample: 16 } as const;

/** Interleaved 16-bit little-endian samples. */
function pcm(samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

function problemOf(buf: Uint8Array): WavHeaderProblem | 'none' {
  try {
    parseWavHeader(buf);
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(WavHeaderError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as Error).name).toBe('WavHeaderError');
    return (error as WavHeaderError).problem;
  }
}

describe('wavHeader', () => {
  it('writes the canonical 44-byte PCM header', () => {
    const h = wavHeader({ ...STEREO_8K, dataBytes: 32_000 });
    expect(WAV_HEADER_BYTES).toBe(44);
    expect(h).toHaveLength(44);
    expect(h.toString('latin1', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(36 + 32_000);
    expect(h.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect(h.readUInt32LE(16)).toBe(16);
    expect(h.readUInt16LE(20)).toBe(1);
    expect(h.readUInt16LE(22)).toBe(2);
    expect(h.readUInt32LE(24)).toBe(8000);
    expect(h.readUInt32LE(28)).toBe(32_000);
    expect(h.readUInt16LE(32)).toBe(4);
    expect(h.readUInt16LE(34)).toBe(16);
    expect(h.toString('latin1', 36, 40)).toBe('data');
    expect(h.readUInt32LE(40)).toBe(32_000);
  });

  it('is read by wavefile, samples and all', () => {
    const samples = [1, -1, 1000, -1000, 32767, -32768];
    const file = Buffer.concat([wavHeader({ ...STEREO_8K, dataBytes: samples.length * 2 }), pcm(samples)]);
    const wav = new wavefile.WaveFile(file);
    expect(wav.container).toBe('RIFF');
    expect(wav.fmt).toMatchObject({ audioFormat: 1, numChannels: 2, sampleRate: 8000, byteRate: 32_000, blockAlign: 4, bitsPerSample: 16 });
    expect(wav.bitDepth).toBe('16');
    expect(Array.from(wav.getSamples(true, Int16Array) as unknown as Int16Array)).toEqual(samples);
    const [left, right] = wav.getSamples(false, Int16Array) as unknown as Int16Array[];
    expect(Array.from(left ?? [])).toEqual([1, 1000, 32767]);
    expect(Array.from(right ?? [])).toEqual([-1, -1000, -32768]);
  });

  it('reads wavefile output for several formats', () => {
    const cases = [
      { channels: 2, sampleRate: 8000, bits: '16', bitsPerSample: 16, samples: [[1, 2, 3], [4, 5, 6]] },
      { channels: 1, sampleRate: 16_000, bits: '16', bitsPerSample: 16, samples: [[1, 2, 3, 4, 5]] },
      { channels: 1, sampleRate: 44_100, bits: '8', bitsPerSample: 8, samples: [[128, 129, 130]] },
      { channels: 2, sampleRate: 48_000, bits: '24', bitsPerSample: 24, samples: [[1, 2], [3, 4]] },
    ];
    for (const c of cases) {
      const wav = new wavefile.WaveFile();
      wav.fromScratch(c.channels, c.sampleRate, c.bits, c.samples);
      const file = Buffer.from(wav.toBuffer());
      const parsed = parseWavHeader(file);
      const dataBytes = c.channels * (c.samples[0]?.length ?? 0) * (c.bitsPerSample / 8);
      expect(parsed).toMatchObject({
        formatTag: 1,
        channels: c.channels,
        sampleRate: c.sampleRate,
        bitsPerSample: c.bitsPerSample,
        blockAlign: c.channels * (c.bitsPerSample / 8),
        dataBytes,
      });
      expect(file.subarray(parsed.dataOffset, parsed.dataOffset + parsed.dataBytes)).toHaveLength(dataBytes);
      expect(parsed.riffBytes).toBe(file.length - 8);
    }
  });

  it('round-trips its own header', () => {
    const format = { channels: 1, sampleRate: 22_050, bitsPerSample: 8, dataBytes: 7 };
    expect(parseWavHeader(wavHeader(format))).toEqual({
      ...format,
      formatTag: 1,
      byteRate: 22_050,
      blockAlign: 1,
      riffBytes: 36 + 7,
      dataOffset: 44,
    });
  });

  it('skips chunks before data, with their pad byte', () => {
    const h = wavHeader({ ...STEREO_8K, dataBytes: 8 });
    const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0', 'latin1')]);
    const file = Buffer.concat([h.subarray(0, 36), list, h.subarray(36), pcm([1, 2, 3, 4])]);
    const parsed = parseWavHeader(file);
    expect(parsed.dataOffset).toBe(44 + 12);
    expect(parsed.dataBytes).toBe(8);
    expect(file.readInt16LE(parsed.dataOffset)).toBe(1);
  });

  it('refuses what is not a PCM WAV header, with a typed problem', () => {
    const good = wavHeader({ ...STEREO_8K, dataBytes: 0 });
    const edit = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    expect(problemOf(good)).toBe('none');
    expect(problemOf(Buffer.alloc(0))).toBe('too_short');
    expect(problemOf(Buffer.from('garbage that is long enough to look at, really'))).toBe('not_riff');
    expect(problemOf(edit((b) => b.write('RIFX', 0, 'latin1')))).toBe('not_riff');
    expect(problemOf(edit((b) => b.write('AVI ', 8, 'latin1')))).toBe('not_wave');
    expect(problemOf(edit((b) => b.writeUInt16LE(3, 20)))).toBe('not_pcm');
    expect(problemOf(edit((b) => b.writeUInt16LE(3, 32)))).toBe('bad_fmt');
    expect(problemOf(edit((b) => b.writeUInt32LE(12, 16)))).toBe('bad_fmt');
    expect(problemOf(edit((b) => b.write('junk', 12, 'latin1')))).toBe('no_fmt');
    expect(problemOf(good.subarray(0, 36))).toBe('no_data');
    expect(problemOf(good.subarray(0, 30))).toBe('too_short');
    // wavefile's 32-bit float is format 3.
    const float = new wavefile.WaveFile();
    float.fromScratch(1, 8000, '32f', [0.5]);
    expect(problemOf(Buffer.from(float.toBuffer()))).toBe('not_pcm');
  });

  it('refuses formats a header cannot describe', () => {
    expect(() => wavHeader({ ...STEREO_8K, channels: 0, dataBytes: 0 })).toThrow(RangeError);
    expect(() => wavHeader({ ...STEREO_8K, bitsPerSample: 12, dataBytes: 0 })).toThrow(RangeError);
    expect(() => wavHeader({ ...STEREO_8K, dataBytes: -1 })).toThrow(RangeError);
    expect(() => wavHeader({ ...STEREO_8K, dataBytes: 2 ** 32 })).toThrow(RangeError);
  });
});
