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

/** Said before the tone when the agent is unreachable: the caller can still leave their details. */
export const LEAVE_DETAILS_MESSAGE =
  "We're sorry, our assistant is having trouble right now. After the tone, please say your full name, ZIP code, " +
  'phone number, and the year, make and model of your vehicle, and we will call you back.';
export const RECORDING_THANKS_MESSAGE = 'Thank you. We will call you back soon. Goodbye.';
/** Longest message a caller may leave, in seconds (Twilio's `maxLength`). */
export const RECORDING_MAX_SECONDS = 120;

export interface ApologyOptions {
  /** Where Twilio posts the recording (`<Record action>`); without it the caller only hears the apology. */
  recordingActionUrl?: string;
}

/**
 * Said when the call cannot be connected to the agent (the model is unreachable or dropped). With a recording URL
 * the caller is asked to leave their details after the tone; if they say nothing, Twilio goes on to the goodbye.
 */
export function apologyTwiml(options: ApologyOptions = {}): string {
  const response = new twilio.twiml.VoiceResponse();
  if (options.recordingActionUrl === undefined) {
    response.say(APOLOGY_MESSAGE);
    response.hangup();
    return response.toString();
  }
  response.say(LEAVE_DETAILS_MESSAGE);
  response.record({
    action: options.recordingActionUrl,
    method: 'POST',
    maxLength: RECORDING_MAX_SECONDS,
    playBeep: true,
    timeout: 5,
    finishOnKey: '#',
  });
  response.say(RECORDING_THANKS_MESSAGE);
  response.hangup();
  return response.toString();
}

/** The answer to `<Record action>`: thanks, and hang up. */
export function recordingThanksTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(RECORDING_THANKS_MESSAGE);
  response.hangup();
  return response.toString();
}
