import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFields } from '../src/log.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger('debug', stream);
  return { logger, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the logger', () => {
  it('writes allow-listed fields only, at every depth, and names what it left out', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        event: 'lead_extracted',
        leadId: 'L1',
        extraction: { result: { lead: { phone: '+14045550123', full_name: 'Dana Whitfield' } } },
        fields: { full_name: 'Dana Whitfield', zip_code: '30301' },
        missing: ['phone'],
      },
      'lead_extracted',
    );
    const [line] = lines();
    expect(line).toMatchObject({ event: 'lead_extracted', leadId: 'L1', missing: ['phone'], msg: 'lead_extracted' });
    expect(line?.dropped).toEqual(['extraction', 'full_name', 'zip_code']);
    const text = JSON.stringify(line);
    for (const secret of ['4045550123', 'Dana', 'Whitfield', '30301']) expect(text).not.toContain(secret);
  });

  it('logs an error as its reason, never its raw fields', () => {
    const error = Object.assign(new Error('NPA API error: 503 Service Unavailable'), { body: { phone: '+14045550123' } });
    expect(logFields({ err: error })).toEqual({ err: 'NPA API error: 503 Service Unavailable' });
    const { logger, lines } = capture();
    logger.error({ err: error }, 'submission failed');
    expect(JSON.stringify(lines()[0])).not.toContain('4045550123');
  });
});
