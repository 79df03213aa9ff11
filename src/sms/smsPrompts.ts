import type { SmsContext, SmsPrompt } from '../../machines/smsMachine.js';
import type { Lead, LeadField } from '../leads/lead.js';

/**
 * The agent's side of an SMS conversation. Questions are worded like the voice agent's, so the same reader
 * (the offline extractor) follows the conversation: it knows which field each answer is about.
 */
const QUESTIONS: Record<LeadField, string> = {
  full_name: 'May I have your full name, please?',
  zip_code: "What's the ZIP code where the vehicle is located?",
  // Worded so the question itself never reads as an answer ("this number" would).
  phone: "What's the best phone number to reach you? Reply 'same number' if it's the one you're texting from.",
  vehicle_year: "What's the year, make and model of the vehicle you'd like to sell?",
  vehicle_make: "What's the make of the vehicle?",
  vehicle_model: "And what's the model?",
};

export const SMS_GREETING = 'Thanks for texting Power Sport Buyers! I can help you get an offer on your vehicle.';

/** The reply text for the machine's prompt. */
export function renderSmsPrompt(prompt: SmsPrompt, context: Pick<SmsContext, 'reading'>): string {
  switch (prompt.kind) {
    case 'ask':
      return prompt.first ? `${SMS_GREETING} ${QUESTIONS[prompt.field]}` : QUESTIONS[prompt.field];
    case 'refused-zip': {
      const refusal =
        "I'm sorry, we aren't able to purchase vehicles in Alaska or Hawaii at this time. I'll still note your details in case that changes.";
      return prompt.next === null ? refusal : `${refusal} ${QUESTIONS[prompt.next]}`;
    }
    case 'confirm':
      return `Please confirm: ${summary(context.reading?.lead ?? null)}. Is that all correct? Reply YES, or tell me what to change.`;
    case 'what-to-fix':
      return 'No problem. What should I change?';
    case 'done':
      return prompt.outcome === 'succeeded'
        ? 'Thank you! Someone from our team will reach out shortly with your offer. Goodbye!'
        : "Thank you! We've noted your details and someone from our team will follow up. Goodbye!";
  }
}

function summary(lead: Lead | null): string {
  if (lead === null) return '';
  const vehicle = [lead.vehicle_year, lead.vehicle_make, lead.vehicle_model].filter((v) => v !== null).join(' ');
  const phone = lead.phone?.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '$1-$2-$3') ?? '';
  return `name ${lead.full_name ?? ''}, ZIP code ${lead.zip_code ?? ''}, phone ${phone}, vehicle ${vehicle}`;
}
