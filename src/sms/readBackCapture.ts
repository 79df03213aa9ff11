import type { SmsReadBack } from '../../machines/smsMachine.js';
import type { CapturedFields } from '../leads/capturedFields.js';
import { LEAD_FIELDS } from '../leads/lead.js';

/**
 * The read-back the texter said yes to, as the live-capture witness: like the voice agent's `record_lead_field`,
 * each value was put to the texter and accepted. `at` is when the yes came; `attempts` how many read-backs carried
 * the field (a correction makes a second one).
 */
export function readBackCapture(readBack: SmsReadBack, at: Date): CapturedFields {
  const captured: CapturedFields = {};
  for (const field of LEAD_FIELDS) {
    const value = readBack.lead[field];
    if (value === null) continue;
    captured[field] = { value, at: at.toISOString(), attempts: readBack.times[field] ?? 1 };
  }
  return captured;
}
