import { describe, expect, it } from 'vitest';
import {
  AGENT_INSTRUCTIONS,
  END_CALL_TOOL,
  GOODBYE_PATTERN,
  GREETING,
  GREETING_PROMPT,
} from '../../src/realtime/agentInstructions.js';

describe('agent instructions', () => {
  it('cover the greeting, the six details, the ZIP rules and the end of the call', () => {
    expect(GREETING).toMatch(/^Thanks for calling Power Sport Buyers!/);
    expect(GREETING_PROMPT).toContain(GREETING);
    for (const needle of [/full name/i, /spell/i, /5 digits/, /995/, /967/, /lower 48/, /number you're calling from/, /year/i, /make/i, /model/i, /end_call/]) {
      expect(AGENT_INSTRUCTIONS).toMatch(needle);
    }
  });

  it('define end_call as a GA function tool', () => {
    expect(END_CALL_TOOL).toMatchObject({ type: 'function', name: 'end_call', parameters: { type: 'object' } });
    expect(END_CALL_TOOL.description.length).toBeGreaterThan(20);
  });

  it('GOODBYE_PATTERN matches a closing goodbye and not a goodbye mentioned mid-sentence', () => {
    for (const text of [
      'Thanks, Sam! A buyer will call you back shortly. Goodbye.',
      'Thank you for calling. Good bye!',
      'Talk soon, bye now.',
      'Thanks John, have a great day!',
    ]) {
      expect(GOODBYE_PATTERN.test(text), text).toBe(true);
    }
    for (const text of [
      'Before we say goodbye, what is the model?',
      'Thanks for calling Power Sport Buyers! May I have your full name?',
      'Is that Hobbyes with a y?',
    ]) {
      expect(GOODBYE_PATTERN.test(text), text).toBe(false);
    }
  });
});
