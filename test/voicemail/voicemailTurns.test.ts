import { describe, expect, it } from 'vitest';
import { extractOffline, hasCallerTurn } from '../../src/extraction/offline/extractOffline.js';
import { ConversationSchema } from '../../src/leads/lead.js';
import { LEAVE_DETAILS_MESSAGE } from '../../src/twilio/twiml.js';
import { voicemailConversation, voicemailTurns } from '../../src/voicemail/voicemailTurns.js';

const NOW = new Date('2025-06-01T12:00:00Z');

describe('voicemailTurns', () => {
  it('puts what the caller heard before the tone ahead of the transcript', () => {
    expect(voicemailTurns('  Hi, this is John Smith.\n')).toEqual([
      { role: 'assistant', text: LEAVE_DETAILS_MESSAGE },
      { role: 'user', text: 'Hi, this is John Smith.' },
    ]);
  });

  it('gives no caller turn for an empty transcript, so extraction sees nothing said', () => {
    const conversation = voicemailConversation('   ', '+14045550199');
    expect(conversation.turns).toEqual([{ role: 'assistant', text: LEAVE_DETAILS_MESSAGE }]);
    expect(hasCallerTurn(conversation)).toBe(false);
    expect(extractOffline(conversation, NOW).missing).toHaveLength(6);
  });

  it('is a Conversation as the extractors parse it', () => {
    expect(ConversationSchema.parse(voicemailConversation('Hello.', null))).toEqual({
      callerPhone: null,
      turns: voicemailTurns('Hello.'),
    });
  });

  it('lets the offline extractor read all six fields from a complete message', () => {
    const conversation = voicemailConversation(
      'Hi, this is John Smith, my zip code is 30301, my number is 404 555 0123, I have a 2018 Honda CRF250R.',
      '+14045550199',
    );
    const result = extractOffline(conversation, NOW);
    expect(result.lead).toEqual({
      full_name: 'John Smith',
      zip_code: '30301',
      phone: '+14045550123',
      vehicle_year: 2018,
      vehicle_make: 'Honda',
      vehicle_model: 'CRF250R',
    });
    expect(result.complete).toBe(true);
  });
});
