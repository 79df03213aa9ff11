import { describe, expect, it } from 'vitest';
import { redactInspectionEvent, sanitizeCallContext, sanitizeCallEvent } from '../../src/inspect/sanitize.js';

const AT = '2025-06-01T12:00:00.000Z';
const captured = {
  full_name: { value: 'Johnathan Quixote', at: AT, attempts: 1 },
  zip_code: { value: '30093', at: AT, attempts: 2 },
  phone: { value: '+14045550111', at: AT, attempts: 1 },
  vehicle_year: { value: 2019, at: AT, attempts: 1 },
};
const SECRETS = ['Quixote', 'Johnathan', '30093', '4045550111', '2019'];

describe('the inspector sanitizer: live capture', () => {
  it('redacts the value of FIELD_CAPTURED, keeping the field, the time and the attempts', () => {
    const event = { type: 'FIELD_CAPTURED', field: 'zip_code', captured: captured.zip_code };
    const safe = sanitizeCallEvent(event);
    expect(safe).toEqual({ type: 'FIELD_CAPTURED', field: 'zip_code', captured: { value: '[redacted]', at: AT, attempts: 2 } });
    // The event the actor holds is not changed.
    expect(event.captured.value).toBe('30093');
  });

  it("redacts every captured value in a call's context", () => {
    const safe = sanitizeCallContext({ callSid: 'CA1', callerPhone: null, captured });
    expect(safe.captured).toEqual({
      full_name: { value: '[redacted]', at: AT, attempts: 1 },
      zip_code: { value: '[redacted]', at: AT, attempts: 2 },
      phone: { value: '[redacted]', at: AT, attempts: 1 },
      vehicle_year: { value: '[redacted]', at: AT, attempts: 1 },
    });
    expect(safe.callSid).toBe('CA1');
  });

  it('leaves no captured value in a serialized inspection event (snapshot context and event)', () => {
    const inspection = {
      type: '@xstate.snapshot',
      sessionId: 'child',
      rootId: 'root',
      snapshot: { value: 'streaming', context: { callSid: 'CA1', captured } },
      event: { type: 'FIELD_CAPTURED', field: 'full_name', captured: captured.full_name },
    };
    const text = JSON.stringify(redactInspectionEvent(inspection));
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain('"attempts":2');
  });
});
