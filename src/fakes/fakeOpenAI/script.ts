import { LEAD_FIELDS, type LeadField, type Turn } from '../../leads/lead.js';

/** The agent speaks: one assistant response with audio and its transcript. */
export interface AgentStep {
  agent: string;
  /** Audio length per word of text; defaults to the server's `msPerWord`. */
  msPerWord?: number;
  /** The model's own delay: the response starts this long after the `response.create` it answers (or the step). */
  firstAudioDelayMs?: number;
}

/**
 * The caller speaks. The fake waits until at least `afterAudioMs` of caller audio has arrived since the agent
 * finished (or since the barge-in), then reports speech, the committed user item and its transcription.
 */
export interface CallerStep {
  caller: string;
  afterAudioMs?: number;
  /** Emit the transcription this much later, in the background, so it arrives after later events. */
  transcriptDelayMs?: number;
  /** Hold the transcription until `releaseHeldTranscripts()` is called (a test decides when it lands). */
  holdTranscript?: boolean;
}

/** A caller turn whose transcription fails (`conversation.item.input_audio_transcription.failed`). */
export interface CallerTranscriptionFailsStep {
  callerTranscriptionFails: true;
  afterAudioMs?: number;
}

/**
 * The caller starts speaking while the previous agent response is still streaming audio: `speech_started` is
 * emitted after `afterAgentAudioMs` of that response's audio was sent, and the response is cancelled (no more
 * audio). The next step is normally a caller step, which continues this speech.
 */
export interface BargeInStep {
  bargeIn: true;
  afterAgentAudioMs?: number;
  /**
   * How long the caller had been speaking when server VAD reported it: `speech_started`'s `audio_start_ms` lies this
   * far back in the caller's audio (the real server detects speech a few hundred ms in). Default 0.
   */
  speechBeganMsAgo?: number;
}

/**
 * The agent ends the call through the `end_call` function tool; the fake waits for the client's output. When the
 * output refuses the end (`"ok":false`, fields missing) and a `response.create` follows, the script's next step
 * answers it; with no step left, the fake calls end_call again by itself.
 */
export interface EndCallStep {
  endCall: true;
}

/**
 * The agent records a confirmed detail with the `record_lead_field` function tool, as the real model does: the
 * function call in a response of its own, then the fake waits for the client's `function_call_output` and its
 * `response.create`; the next agent step is the answer to that response.create.
 */
export interface RecordFieldStep {
  recordField: { field: LeadField | string; value: string };
}

/** A cue for whoever plays the caller (the fake Twilio caller): hang up now. The fake sends nothing. */
export interface CallerHangsUpStep {
  callerHangsUp: true;
}

/** The model's socket dies: `terminate` drops TCP without a close frame, `close` sends 1011. */
export interface DropSocketStep {
  dropSocket: true;
  mode?: 'terminate' | 'close';
}

export interface WaitStep {
  wait: number;
}

export type ScriptStep =
  | AgentStep
  | CallerStep
  | CallerTranscriptionFailsStep
  | BargeInStep
  | EndCallStep
  | RecordFieldStep
  | CallerHangsUpStep
  | DropSocketStep
  | WaitStep;

export type Script = readonly ScriptStep[];

/**
 * Turn a transcript (alternating assistant and user turns, as in ../shared/transcripts) into a script. It ends with
 * `endCall` after a final agent turn, or with `callerHangsUp` when the caller had the last word.
 */
export function scriptFromTranscript(
  call: { turns: readonly Turn[] },
  options: { afterAudioMs?: number } = {},
): ScriptStep[] {
  const steps: ScriptStep[] = call.turns.map((turn) =>
    turn.role === 'assistant'
      ? { agent: turn.text }
      : options.afterAudioMs === undefined
        ? { caller: turn.text }
        : { caller: turn.text, afterAudioMs: options.afterAudioMs },
  );
  const last = call.turns[call.turns.length - 1];
  steps.push(last?.role === 'user' ? { callerHangsUp: true } : { endCall: true });
  return steps;
}

/** A sample call with the lead it should yield (the `expected` of ../shared/transcripts files). */
export interface SampleWithLead {
  turns: readonly Turn[];
  expected?: { lead?: Partial<Record<LeadField, string | number | null>> };
}

/**
 * scriptFromTranscript, with live capture: before the agent's last turn, one `recordField` per field the expected
 * lead holds, with the value as the model would pass it (the year as a string, the phone as its 10 digits).
 */
export function scriptWithCapture(sample: SampleWithLead, options: { afterAudioMs?: number } = {}): ScriptStep[] {
  const steps = scriptFromTranscript(sample, options);
  const lead = sample.expected?.lead ?? {};
  const records: RecordFieldStep[] = LEAD_FIELDS.flatMap((field) => {
    const value = lead[field];
    if (value === null || value === undefined) return [];
    const raw = field === 'phone' ? String(value).replace(/^\+1/, '') : String(value);
    return [{ recordField: { field, value: raw } }];
  });
  let lastAgent = -1;
  steps.forEach((step, index) => {
    if ('agent' in step) lastAgent = index;
  });
  steps.splice(lastAgent < 0 ? steps.length - 1 : lastAgent, 0, ...records);
  return steps;
}
