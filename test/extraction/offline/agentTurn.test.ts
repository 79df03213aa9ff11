import { describe, expect, it } from 'vitest';
import { classifyQuestion, readAgentTurn } from '../../../src/extraction/offline/agentTurn.js';

const NOW = new Date('2026-06-01T12:00:00Z');

describe('classifyQuestion', () => {
  it.each([
    ['May I have your full name, please?', { kind: 'name', part: 'full', spell: false }],
    ['Who am I speaking with today?', { kind: 'name', part: 'full', spell: false }],
    ['Could you spell your last name for me?', { kind: 'name', part: 'last', spell: true }],
    ['And your last name?', { kind: 'name', part: 'last', spell: false }],
    ['Could you spell your first and last name for me?', { kind: 'name', part: 'full', spell: true }],
    ['Can you spell your first name and your last name?', { kind: 'name', part: 'full', spell: true }],
    ['How do you spell the first name?', { kind: 'name', part: 'first', spell: true }],
    ["What's your ZIP code?", { kind: 'zip' }],
    ['Is there a ZIP code in the lower 48 where the vehicle is located?', { kind: 'zip' }],
    ["What's the best number to reach you?", { kind: 'phone' }],
    ["What's the year, make and model of the vehicle you'd like to sell?", { kind: 'vehicle', focus: 'all' }],
    ['And what year is it?', { kind: 'vehicle', focus: 'year' }],
    ['What make is the vehicle?', { kind: 'vehicle', focus: 'make' }],
    ['And the model?', { kind: 'vehicle', focus: 'model' }],
    ['Have a great day, goodbye!', null],
  ])('%s', (question, ask) => {
    expect(classifyQuestion(question)).toEqual(ask);
  });
});

describe('readAgentTurn', () => {
  it('reads a read-back that asks for confirmation', () => {
    const turn = readAgentTurn('A 2009 Honda Gold Wing. Is that correct?', NOW);
    expect(turn.confirming).toBe(true);
    expect(turn.ask).toEqual({ kind: 'vehicle', focus: 'all' });
    expect(turn.readBack.vehicle).toEqual({ year: '2009', make: 'Honda', model: 'Gold Wing' });
  });
  it('reads an acknowledgement followed by the next question', () => {
    const turn = readAgentTurn("Got it, 30093. What's the best phone number to reach you?", NOW);
    expect(turn.confirming).toBe(false);
    expect(turn.ask).toEqual({ kind: 'phone' });
    expect(turn.readBack.zip).toBe('30093');
  });
  it('reads a phone read-back with a tag question and the caller-ID promise', () => {
    expect(readAgentTurn("That's 404-555-0111, correct?", NOW)).toMatchObject({
      confirming: true,
      ask: { kind: 'phone' },
      readBack: { phone: '404-555-0111' },
    });
    expect(readAgentTurn("Sure, I'll use the number you're calling from. What vehicle are you selling?", NOW).readBack.phone).toBe(
      'CALLER_ID',
    );
  });
  it('treats a summary of several fields as confirmable but tied to no single field', () => {
    const turn = readAgentTurn(
      'Let me confirm: Jo Lee, ZIP code 48009, phone 248-555-0123, and a 2020 Honda Talon 1000R. Is that all correct?',
      NOW,
    );
    expect(turn.confirming).toBe(true);
    expect(turn.ask).toBeNull();
    expect(turn.readBack).toMatchObject({ zip: '48009', phone: '248-555-0123', vehicle: { make: 'Honda' } });
  });
  it('does not read the Alaska refusal as a vehicle', () => {
    const turn = readAgentTurn(
      "I'm sorry, we aren't able to purchase vehicles in Alaska or Hawaii. Is there a ZIP code in the lower 48 where the vehicle is located?",
      NOW,
    );
    expect(turn).toEqual({ ask: { kind: 'zip' }, readBack: {}, confirming: false });
  });
});
