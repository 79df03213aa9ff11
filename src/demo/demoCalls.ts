import { scriptWithCapture, type Script } from '../fakes/fakeOpenAI.js';
import type { Lead, Turn } from '../leads/lead.js';

/** The demo's scripted callers: what the fake model says and hears. Product data, not test fixtures. */
export interface DemoCall {
  title: string;
  callSid: string;
  from: string;
  script: Script;
}

const GREETING =
  'Thanks for calling Power Sport Buyers! I can help you get an offer on your vehicle. May I have your full name, please?';
const GOODBYE = 'Thank you! Someone from our team will reach out shortly with your offer. Have a great day, goodbye!';

/** A conversation as alternating agent and caller lines. */
const turns = (...lines: Array<[who: 'agent' | 'caller', text: string]>): Turn[] =>
  lines.map(([who, text]) => ({ role: who === 'agent' ? 'assistant' : 'user', text }));

/**
 * Each demo call records the details its caller confirmed with record_lead_field before the agent's last turn
 * (scriptWithCapture), so the demo's calls have live capture; the Alaska ZIP is refused there, as it would be live.
 */
const withCapture = (conversation: Turn[], lead: Partial<Lead>): Script => scriptWithCapture({ turns: conversation, expected: { lead } });

export const DEMO_CALLS: DemoCall[] = [
  {
    title: 'A complete call: a 2019 Harley-Davidson Street Glide',
    callSid: 'CAdemo0000000000000000000000000001',
    from: '+14045550111',
    script: withCapture(
      turns(
        ['agent', GREETING],
        ['caller', 'Hi, yeah, my name is John Carter.'],
        ['agent', "Thanks, John Carter. What's your ZIP code?"],
        ['caller', 'three oh oh nine three'],
        ['agent', "Got it, 30093. What's the best phone number to reach you?"],
        ['caller', 'Just use the number I am calling from.'],
        ['agent', "Sure, I'll use the number you're calling from. What's the year, make and model of your vehicle?"],
        ['caller', "It's a twenty nineteen Harley Davidson Street Glide."],
        ['agent', 'A 2019 Harley-Davidson Street Glide. Is that right?'],
        ['caller', "That's right."],
        ['agent', GOODBYE],
      ),
      {
        full_name: 'John Carter',
        zip_code: '30093',
        phone: '+14045550111',
        vehicle_year: 2019,
        vehicle_make: 'Harley-Davidson',
        vehicle_model: 'Street Glide',
      },
    ),
  },
  {
    title: 'A caller who hangs up before giving the vehicle',
    callSid: 'CAdemo0000000000000000000000000002',
    from: '+17705550183',
    script: withCapture(
      turns(
        ['agent', GREETING],
        ['caller', "It's Brian Foster."],
        ['agent', "Thank you, Brian Foster. What's your ZIP code?"],
        ['caller', '30339.'],
        ['agent', '30339. And the best phone number to reach you?'],
        ['caller', '770-555-0183.'],
        ['agent', "770-555-0183, correct? What's the year, make and model of your vehicle?"],
        ['caller', "Uh, hold on, I've got another call coming in."],
      ),
      { full_name: 'Brian Foster', zip_code: '30339' },
    ),
  },
  {
    title: 'An Alaska ZIP code: refused live, still recorded',
    callSid: 'CAdemo0000000000000000000000000003',
    from: '+19075550120',
    script: withCapture(
      turns(
        ['agent', GREETING],
        ['caller', 'Dennis Olsen.'],
        ['agent', "Thanks, Dennis Olsen. What's your ZIP code?"],
        ['caller', '99501.'],
        [
          'agent',
          "I'm sorry, Dennis, we aren't able to purchase vehicles in Alaska or Hawaii at this time. Is there a ZIP code in the lower 48 where the vehicle is located?",
        ],
        ['caller', "No, it's here in Anchorage."],
        ['agent', "I understand. I'll still note your details in case that changes. What's the best phone number for you?"],
        ['caller', '907-555-0120.'],
        ['agent', "907-555-0120. And what's the vehicle?"],
        ['caller', 'A 2015 Arctic Cat ZR 6000.'],
        ['agent', 'A 2015 Arctic Cat ZR 6000. Thank you for calling Power Sport Buyers, and have a good day. Goodbye!'],
      ),
      {
        full_name: 'Dennis Olsen',
        zip_code: '99501',
        phone: '+19075550120',
        vehicle_year: 2015,
        vehicle_make: 'Arctic Cat',
        vehicle_model: 'ZR 6000',
      },
    ),
  },
];
