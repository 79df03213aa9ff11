/**
 * The waits a caller or a lead sits through, as the call code reports them (`CallDeps.observeWait`, in ms, where
 * the wait ends); each is one histogram on `/metrics`:
 * - `greeting`: the media stream's start to the first agent audio sent to Twilio (psb_time_to_greeting_seconds)
 * - `response`: per turn, the caller's end of speech to the first audio of the agent's answer
 *   (psb_response_latency_seconds)
 * - `barge_in`: the caller starting to speak over the agent to the `clear` sent to Twilio (psb_barge_in_clear_seconds)
 * - `response_relay`: per turn, the relay's own part of `response`: the answer's first audio delta arriving from the
 *   model to its frame sent to Twilio (psb_response_relay_seconds)
 * - `barge_in_heard`: per barge-in, the agent audio the caller heard over their own speech: from where the model
 *   says the speech began (its `audio_start_ms`) to the `clear`, capped by the agent audio played
 *   (psb_barge_in_heard_seconds); what Twilio plays between receiving the clear and acting on it is not seen here
 * - `goodbye`: the agent's goodbye to the call hung up (psb_goodbye_hangup_seconds)
 * - `lead_delivery`: the end of the conversation to the lead's outcome known, stored or submitted
 *   (psb_lead_delivery_seconds)
 */
export type WaitKind = 'greeting' | 'response' | 'response_relay' | 'barge_in' | 'barge_in_heard' | 'goodbye' | 'lead_delivery';

export const WAIT_KINDS: readonly WaitKind[] = ['greeting', 'response', 'response_relay', 'barge_in', 'barge_in_heard', 'goodbye', 'lead_delivery'];
