import { describe, expect, it } from 'vitest';
import { normalizeFullName } from '../../../../src/leads/fullName.js';
import { formatModel } from '../../../../src/leads/lexicon/modelName.js';
import { classifyQuestion, readAgentTurn } from '../../../../src/extraction/offline/agentTurn.js';
import { findSpelledWords } from '../../../../src/extraction/offline/spelledNames.js';
import { extractOffline } from '../../../../src/extraction/offline/extractOffline.js';

const NOW = new Date('2026-06-01');

describe('rules added after the blind measurement', () => {
  it('reads letters told by a word ("S as in Sam", "B like Bravo")', () => {
    expect(findSpelledWords('Sure, S as in Sam, I, O, B as in boy, H, A, N.').words).toEqual(['Siobhan']);
    expect(findSpelledWords('s as in sam i o b as in boy h a n').words).toEqual(['Siobhan']);
    expect(findSpelledWords('K like Kilo, A, T, E').words).toEqual(['Kate']);
  });

  it('drops a generational suffix, never a first word', () => {
    expect(normalizeFullName('William Harris Junior')).toBe('William Harris');
    expect(normalizeFullName('Sam Ortiz Jr.')).toBe('Sam Ortiz');
    expect(normalizeFullName('Junior Seau')).toBe('Junior Seau');
  });

  it('treats a question about the mainland as the ZIP question', () => {
    expect(classifyQuestion('Is the vehicle somewhere on the mainland?')).toEqual({ kind: 'zip' });
    expect(classifyQuestion('Is the bike kept anywhere in the continental US?')).toEqual({ kind: 'zip' });
  });

  it('drops the watercraft line name before a model', () => {
    expect(formatModel(['WaveRunner', 'FX', 'Cruiser', 'SVHO']).text).toBe('FX Cruiser SVHO');
    expect(formatModel(['jet', 'ski', 'ultra', '310']).text).toBe('Ultra 310');
    expect(formatModel(['waverunner']).text).toBe('WaveRunner');
  });

  it('reads the name the agent thanks the caller by, capitalized as agents write it', () => {
    expect(readAgentTurn("Thanks, Mike O'Connell. What's your ZIP code?", NOW).readBack.name).toBe("Mike O'Connell");
  });

  it("takes the agent's writing of the same name the caller said", () => {
    const call = (said: string, thanked: string) =>
      extractOffline(
        {
          callerPhone: null,
          turns: [
            { role: 'assistant', text: 'May I have your full name, please?' },
            { role: 'user', text: said },
            { role: 'assistant', text: `Thank you, ${thanked}. What's your ZIP code?` },
          ],
        },
        NOW,
      ).lead.full_name;
    expect(call('its mike o connell', "Mike O'Connell")).toBe("Mike O'Connell");
    expect(call('mary beth sullivan', 'Mary-Beth Sullivan')).toBe('Mary-Beth Sullivan');
    // A name the caller did not say is not taken from the agent.
    expect(call('Steve Clarke', 'Steven Clark')).toBe('Steve Clarke');
    expect(call('Mark Kovalchick', 'Mark')).toBe('Mark Kovalchick');
  });
});

describe('rule added from probing beyond the blind set', () => {
  it("writes Kawasaki's ZX models with the hyphen", () => {
    expect(formatModel(['Ninja', 'ZX', '6', 'R']).text).toBe('Ninja ZX-6R');
    expect(formatModel(['ninja', 'zx', '10', 'rr']).text).toBe('Ninja ZX-10RR');
    expect(formatModel(['Ninja', 'ZX-6R']).text).toBe('Ninja ZX-6R');
  });
});
