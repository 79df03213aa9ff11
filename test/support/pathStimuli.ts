import type { Script, ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import type { FakeNpaMode } from '../../src/fakes/fakeNpa.js';
import type { LeadTable } from './leadRefusals.js';
import { eventLabel, type CallPath } from './callMachinePaths.js';

/**
 * How each step of a generated call-lifecycle path is produced through the real server with the fakes: a stimulus
 * the test performs when the machine is in the step's state (a caller connects, speaks, hangs up; the model's
 * connection is let through, refused or dropped; the goodbye's marks come back), or a condition prepared before
 * the call (a timeout made short, the fake NPA or LLM failing, the database refusing the lead row) that lets the
 * server produce the event itself. Steps that cannot happen through the server at all are named with the reason.
 */

/** Timeouts a path fires are this short; the others are out of reach. */
export const FIRED_MS: Readonly<Record<string, number>> = {
  MODEL_CONNECT_TIMEOUT: 400,
  STREAM_START_TIMEOUT: 400,
  MAX_CALL: 900,
  TRANSCRIPT_WAIT: 600,
  EXTRACTION_TIMEOUT: 400,
  SUBMISSION_TIMEOUT: 400,
};
export const UNFIRED_MS = 30_000;
/** The env entry each named delay reads (GOODBYE_PLAYBACK_TIMEOUT has none: its 8 s default applies). */
export const DELAY_ENV: Readonly<Record<string, string>> = {
  MODEL_CONNECT_TIMEOUT: 'MODEL_CONNECT_TIMEOUT_MS',
  STREAM_START_TIMEOUT: 'PREWARM_TTL_MS',
  MAX_CALL: 'MAX_CALL_MS',
  TRANSCRIPT_WAIT: 'TRANSCRIPT_WAIT_MS',
  EXTRACTION_TIMEOUT: 'EXTRACTION_TIMEOUT_MS',
  SUBMISSION_TIMEOUT: 'SUBMISSION_TIMEOUT_MS',
};

/** The goodbye playback timeout the server uses (not configurable: DEFAULT_CALL_TIMEOUTS.goodbyePlaybackMs). */
export const GOODBYE_PLAYBACK_MS = 8_000;
/** A late caller transcription lands this long after the caller's words (while the call waits for its transcript). */
export const EARLY_TRANSCRIPT_MS = 150;
/** ...or never, as far as the call is concerned. */
export const NEVER_TRANSCRIPT_MS = 120_000;

export const GREETING = 'Thanks for calling Power Sport Buyers! What is the ZIP code where the vehicle is?';
/** Every caller line that should change the live fields names a ZIP; the others carry no field. */
export const ZIP_LINE = 'My ZIP code is 30301.';

/** What the test does (or waits for) at one step. */
export type Stimulus =
  | { kind: 'connect-caller' }
  | { kind: 'gate-release' }
  | { kind: 'gate-refuse' }
  | { kind: 'gate-open-then-drop' }
  | { kind: 'drop-model' }
  | { kind: 'hang-up'; how: 'stop' | 'close' }
  /** The caller says the line of script step `scriptIndex`; `observe` is what the machine must show. */
  | { kind: 'caller-says'; scriptIndex: number; observe: 'transcript' | 'fields' | 'state'; text: string }
  /** A line said earlier (pendingBefore) lands now: only watched for. */
  | { kind: 'late-transcript'; observe: 'transcript' | 'fields'; text: string }
  | { kind: 'release-marks' }
  /** Nothing to do: a timer, or an actor the prepared fakes settle. */
  | { kind: 'wait' }
  /** The server closed the media socket before this state, so a hang-up now never reaches the machine. */
  | { kind: 'ignored-hang-up' };

export interface StepPlan {
  label: string;
  fromState: string;
  expectedState: string;
  stimulus: Stimulus;
  /** Caller turns to say right before this step's stimulus, so their transcriptions are pending (script indices). */
  pendingBefore: number[];
}

export interface ServerPlan {
  env: Record<string, string>;
  script: Script;
  steps: StepPlan[];
  npaMode: FakeNpaMode;
  chatMode: 'ok' | 'timeout';
  refusals: Array<{ table: LeadTable; count: number }>;
  /** Whether the caller should hear the apology TwiML after the stream. */
  apology: boolean;
}

export type Classification = { replayable: true; plan: ServerPlan } | { replayable: false; pair: string; reason: string };

/** Why some (state, event) pairs have no road through the real server. */
export const UNREACHABLE_THROUGH_SERVER: Readonly<Record<string, string>> = {
  'error:relay':
    'the relay actor (callActors.ts) only calls relay.startConversation(), which sends on the model socket and never throws',
  'error:awaitTranscript': 'relay.whenTranscriptSettled() never rejects (an abort resolves it)',
  'error:extractLead':
    'the combined extractor falls back to the offline extractor on any LLM failure; it rejects only when aborted, which happens only once the machine has left extracting',
  'CALLER_HUNG_UP@connecting-before-stream':
    'a caller who hangs up before the media stream opens sends nothing to this server (no stream to stop); the server sees STREAM_START_TIMEOUT',
  'SUBMISSION_TIMEOUT@refused-lead':
    'with a failure reason the lead is never sent: submission is one database write, and holding it past the timeout takes a table lock that would stall every concurrent path',
  'error:submitLead@refused-lead':
    'with the outbox rework now in the working tree (src/leads/submitLead.ts, src/outbox/), a refused failed_leads insert for a lead that is not sent no longer rejects submitLead: the call goes straight to saved-failure (reported to the lead)',
  'awaiting-transcript-without-model':
    'when awaiting-transcript is entered without a live model conversation (model failed, never connected, or the call never streamed), the transcript is settled at once: no late transcription can arrive and TRANSCRIPT_WAIT cannot fire',
};

/** Turns a generated path into what the test must prepare and do; or says why the server cannot produce it. */
export function planForServer(path: CallPath, index: number): Classification {
  const script: ScriptStep[] = [{ agent: GREETING }];
  const steps: StepPlan[] = [];
  const fired = new Set<string>();
  let npaMode: FakeNpaMode = 'ok';
  let chatMode: 'ok' | 'timeout' = 'ok';
  const refusals: Array<{ table: LeadTable; count: number }> = [];
  let apology = false;
  let streamStarted = false;
  let modelReady = false;
  let failure = false;
  // Whether the call reached awaiting-transcript with a live conversation whose transcriptions can still arrive.
  let liveConversation = false;
  let lastStreamingExit: StepPlan | null = null;
  let hangUps = 0;

  const unreachable = (pair: string, reasonKey: string): Classification => ({
    replayable: false,
    pair,
    reason: UNREACHABLE_THROUGH_SERVER[reasonKey] ?? reasonKey,
  });
  const callerLine = (text: string, extra: Partial<{ transcriptDelayMs: number }> = {}): number => {
    script.push({ caller: text, afterAudioMs: 40, ...extra });
    return script.length - 1;
  };

  for (const step of path.steps) {
    const label = eventLabel(step.event);
    const from = step.fromState;
    const pair = `${from}|${label}`;
    const plan: StepPlan = { label, fromState: from, expectedState: step.expectedState, stimulus: { kind: 'wait' }, pendingBefore: [] };
    const after = /^after:(.+)$/.exec(label)?.[1];
    if (after !== undefined) {
      fired.add(after);
      if (after === 'MODEL_CONNECT_TIMEOUT') {
        failure = true;
        apology = true;
      }
      if (after === 'EXTRACTION_TIMEOUT') {
        chatMode = 'timeout';
        failure = true;
      }
      if (after === 'SUBMISSION_TIMEOUT') {
        if (failure) return unreachable(pair, 'SUBMISSION_TIMEOUT@refused-lead');
        npaMode = 'timeout';
        failure = true;
      }
      if (after === 'TRANSCRIPT_WAIT' && !liveConversation) return unreachable(pair, 'awaiting-transcript-without-model');
      if (after === 'TRANSCRIPT_WAIT') lastStreamingExit?.pendingBefore.push(callerLine('And one more thing.', { transcriptDelayMs: NEVER_TRANSCRIPT_MS }));
      if (from.startsWith('streaming.') || from === 'connecting') liveConversation = from.startsWith('streaming.');
      if (from.startsWith('streaming.')) lastStreamingExit = plan;
      steps.push(plan);
      continue;
    }
    if (label === 'error:relay' || label === 'error:awaitTranscript' || label === 'error:extractLead') {
      return unreachable(pair, label);
    }
    switch (from) {
      case 'connecting':
        if (label === 'STREAM_STARTED') {
          plan.stimulus = { kind: 'connect-caller' };
          streamStarted = true;
        } else if (label === 'done:connectModel') {
          plan.stimulus = { kind: 'gate-release' };
          modelReady = true;
        } else if (label === 'error:connectModel') {
          plan.stimulus = { kind: 'gate-refuse' };
          failure = true;
          apology = true;
        } else if (label === 'MODEL_FAILED') {
          plan.stimulus = modelReady ? { kind: 'drop-model' } : { kind: 'gate-open-then-drop' };
          failure = true;
          apology = true;
        } else if (label === 'CALLER_HUNG_UP') {
          if (!streamStarted) return unreachable(pair, 'CALLER_HUNG_UP@connecting-before-stream');
          plan.stimulus = { kind: 'hang-up', how: hangUps++ % 2 === index % 2 ? 'stop' : 'close' };
        } else {
          return unreachable(pair, `no stimulus known for ${pair}`);
        }
        liveConversation = false;
        break;
      case 'streaming.conversing':
      case 'streaming.closing':
        if (label === 'GOODBYE') {
          const gate = callerLine("That's all, thanks.");
          script.push({ agent: 'Thank you for calling Power Sport Buyers, goodbye!' }, { endCall: true });
          plan.stimulus = { kind: 'caller-says', scriptIndex: gate, observe: 'state', text: "That's all, thanks." };
        } else if (label === 'TRANSCRIPT_UPDATED' || label === 'FIELDS_UPDATED') {
          const at = callerLine(ZIP_LINE);
          plan.stimulus = { kind: 'caller-says', scriptIndex: at, observe: label === 'FIELDS_UPDATED' ? 'fields' : 'transcript', text: ZIP_LINE };
        } else if (label === 'GOODBYE_PLAYED') {
          plan.stimulus = { kind: 'release-marks' };
        } else if (label === 'CALLER_HUNG_UP') {
          plan.stimulus = { kind: 'hang-up', how: hangUps++ % 2 === index % 2 ? 'stop' : 'close' };
        } else if (label === 'MODEL_FAILED') {
          plan.stimulus = { kind: 'drop-model' };
          if (from === 'streaming.conversing') {
            failure = true;
            apology = true;
          } else {
            apology = false;
          }
        } else {
          return unreachable(pair, `no stimulus known for ${pair}`);
        }
        if (step.expectedState === 'awaiting-transcript') {
          liveConversation = label !== 'MODEL_FAILED';
          lastStreamingExit = plan;
        }
        break;
      case 'awaiting-transcript':
        if (label === 'CALLER_HUNG_UP') {
          plan.stimulus = { kind: 'ignored-hang-up' };
        } else if (label === 'TRANSCRIPT_UPDATED' || label === 'FIELDS_UPDATED') {
          if (!liveConversation || lastStreamingExit === null) return unreachable(pair, 'awaiting-transcript-without-model');
          // A caller line said before the call left streaming, whose transcription lands while the call waits.
          // Said right before the exit; when that exit is a timer, the line is said early, so it lands after the timer.
          const timerExit = /^after:(MAX_CALL|GOODBYE_PLAYBACK_TIMEOUT)$/.exec(lastStreamingExit.label)?.[1];
          const head = timerExit === 'MAX_CALL' ? (FIRED_MS.MAX_CALL ?? 0) : timerExit ? GOODBYE_PLAYBACK_MS : 0;
          const at = callerLine(ZIP_LINE, { transcriptDelayMs: head + EARLY_TRANSCRIPT_MS });
          lastStreamingExit.pendingBefore.push(at);
          plan.stimulus = { kind: 'late-transcript', observe: label === 'FIELDS_UPDATED' ? 'fields' : 'transcript', text: ZIP_LINE };
        } else if (label === 'done:awaitTranscript') {
          plan.stimulus = { kind: 'wait' };
        } else {
          return unreachable(pair, `no stimulus known for ${pair}`);
        }
        break;
      case 'extracting':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label !== 'done:extractLead') return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      case 'submitting.sending':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label === 'done:submitLead(failed)') {
          // Nothing failed before: the LLM's lead is complete, so the NPA has to refuse it.
          if (!failure) npaMode = 'fail-500';
        } else if (label === 'error:submitLead') {
          if (failure) return unreachable(pair, 'error:submitLead@refused-lead');
          // The row submitLead writes is refused once: the succeeded row after the NPA accepted, or the failed row.
          refusals.push({ table: failure ? 'failed_leads' : 'succeeded_leads', count: failure ? 1 : 1_000 });
          failure = true;
        } else if (label !== 'done:submitLead(succeeded)') return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      case 'submitting.recordingFailure':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label === 'error:recordFailure') {
          const existing = refusals.find((r) => r.table === 'failed_leads');
          if (existing) existing.count = 1_000;
          else refusals.push({ table: 'failed_leads', count: 1_000 });
        } else if (!label.startsWith('done:recordFailure')) return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      default:
        return unreachable(pair, `no stimulus known for ${pair}`);
    }
    steps.push(plan);
  }
  // The fake's script never runs out while the call lives (a cue for "the previous step is done" always follows).
  script.push({ wait: NEVER_TRANSCRIPT_MS });

  const env: Record<string, string> = { NPA_MAX_ATTEMPTS: '1', NPA_TIMEOUT_MS: String(UNFIRED_MS) };
  for (const [delay, key] of Object.entries(DELAY_ENV)) env[key] = String(fired.has(delay) ? FIRED_MS[delay] : UNFIRED_MS);
  return { replayable: true, plan: { env, script, steps, npaMode, chatMode, refusals, apology } };
}
