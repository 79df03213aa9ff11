import type { Turn } from '../../src/leads/lead.js';

/**
 * A call whose caller gives a number and then an old one not to use: an LLM that takes the old one (it was said, so
 * it is not dropped as unsupported) disagrees with the offline reading on the phone, and the lead goes to review.
 */
export const TWO_NUMBERS_CALL: Turn[] = [
  { role: 'assistant', text: "Thanks for calling Power Sport Buyers! I can get you a quick offer on your vehicle. May I have your full name, please?" },
  { role: 'user', text: 'Dana Whitaker.' },
  { role: 'assistant', text: 'Thanks, Dana Whitaker. What ZIP code is the vehicle located in?' },
  { role: 'user', text: '30093' },
  { role: 'assistant', text: 'Three oh oh nine three. And the best callback number?' },
  { role: 'user', text: "It's 404 555 0141. My old number was 404 555 0199 but don't use that." },
  { role: 'assistant', text: 'Got it. What year is the vehicle?' },
  { role: 'user', text: '2019' },
  { role: 'assistant', text: 'And the make?' },
  { role: 'user', text: 'Polaris' },
  { role: 'assistant', text: 'And the model?' },
  { role: 'user', text: 'RZR XP 1000' },
  { role: 'assistant', text: 'A 2019 Polaris RZR XP 1000. Thank you Dana, a buyer will call you back shortly. Goodbye.' },
];
