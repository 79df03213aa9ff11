import { describe, expect, it } from 'vitest';
import {
  AGENT_INSTRUCTIONS,
  END_CALL_TOOL,
  GOODBYE_PATTERN,
  GREETING,
  GREETING_PROMPT,
  greetingPrompt,
  greetingWith,
} from '../../src/realtime/agentInstructions.js';
import { LEAD_FIELDS } from '../../src/leads/lead.js';
import { parseRecordLeadFieldArgs, RECORD_LEAD_FIELD_TOOL } from '../../src/realtime/recordLeadField.js';

describe('agent instructions', () => {
  it('cover the greeting, the six details, the ZIP rules and the end of the call', () => {
    expect(GREETING).toMatch(/^Thanks for calling Power Sport Buyers!/);
    expect(GREETING_PROMPT).toContain(GREETING);
    for (const needle of [/full name/i, /spell/i, /5 digits/, /995/, /967/, /lower 48/, /number you're calling from/, /year/i, /make/i, /model/i, /end_call/]) {
      expect(AGENT_INSTRUCTIONS).toMatch(needle);
    }
  });

  it('tell the agent to record each confirmed detail and corrections, and how to act on a refusal or a deferred end', () => {
    for (const needle of [/record_lead_field/, /confirms your read-back/, /corrects/, /"refused"/, /ask for that detail again/, /still missing/, /call end_call again/]) {
      expect(AGENT_INSTRUCTIONS).toMatch(needle);
    }
  });

  it('define record_lead_field as a GA function tool over the six fields, its arguments checked by zod', () => {
    expect(RECORD_LEAD_FIELD_TOOL).toMatchObject({
      type: 'function',
      name: 'record_lead_field',
      parameters: { type: 'object', required: ['field', 'value'], properties: { field: { enum: [...LEAD_FIELDS] }, value: { type: 'string' } } },
    });
    expect(parseRecordLeadFieldArgs('{"field":"zip_code","value":"30093"}')).toEqual({ ok: true, args: { field: 'zip_code', value: '30093' } });
    expect(parseRecordLeadFieldArgs('{"field":"email","value":"x"}')).toMatchObject({ ok: false });
    expect(parseRecordLeadFieldArgs('{')).toEqual({ ok: false, reason: 'the arguments are not valid JSON' });
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

describe('the greeting while calls are recorded', () => {
  it('puts the notice after the first sentence, word for word', () => {
    expect(greetingWith('This call is recorded for quality.')).toBe(
      'Thanks for calling Power Sport Buyers! This call is recorded for quality. I can get you a quick offer on your vehicle. May I have your full name, please?',
    );
    expect(greetingPrompt('Calls are recorded.')).toContain('"Thanks for calling Power Sport Buyers! Calls are recorded. I can get');
  });

  it('without a notice it is the plain greeting', () => {
    expect(greetingWith(null)).toBe(GREETING);
    expect(greetingWith('  ')).toBe(GREETING);
    expect(greetingPrompt(null)).toBe(GREETING_PROMPT);
  });
});
