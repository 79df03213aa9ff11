import twilio from 'twilio';

/** TwiML answers for the voice webhook, built with the twilio package so every value is escaped properly. */

export interface StreamTwimlOptions {
  /** The wss:// URL of our Media Streams endpoint (Twilio strips query strings: pass data as parameters). */
  streamUrl: string;
  /** Sent to the stream's `start.customParameters`, e.g. { callSid, from }. */
  parameters?: Record<string, string>;
  /** Where Twilio asks what to do once the stream has closed (`<Connect action>`): the apology, or a hang-up. */
  actionUrl?: string;
}

/** Connects the call to our bidirectional Media Stream; `<Hangup/>` runs when we close the stream. */
export function streamTwiml(options: StreamTwimlOptions): string {
  const response = new twilio.twiml.VoiceResponse();
  const connect = options.actionUrl ? response.connect({ action: options.actionUrl }) : response.connect();
  const stream = connect.stream({ url: options.streamUrl });
  for (const [name, value] of Object.entries(options.parameters ?? {})) stream.parameter({ name, value });
  response.hangup();
  return response.toString();
}

export const BUSY_MESSAGE =
  'Thanks for calling Power Sport Buyers. All of our agents are busy right now. Please call back in a few minutes. Goodbye.';
export const APOLOGY_MESSAGE =
  "We're sorry, we're having trouble connecting your call right now. Please call Power Sport Buyers back in a few minutes. Goodbye.";

/** Said when the line is at capacity. */
export function busyTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(BUSY_MESSAGE);
  response.hangup();
  return response.toString();
}

/** Said when the call cannot be connected to the agent (the model is unreachable). */
export function apologyTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(APOLOGY_MESSAGE);
  response.hangup();
  return response.toString();
}
