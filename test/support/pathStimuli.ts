import type { Script, ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import type { FakeNpaMode } from '../../src/fakes/fakeNpa.js';
import type { ReliabilityConfig } from '../../src/outbox/reliabilityConfig.js';
import type { LeadTable } from './leadRefusals.js';
import { eventLabel, type CallPath } from './callMachinePaths.js';

/**
 * How each step of a generated call-lifecycle path is produced through the real server with the fakes: a stimulus
 * the test performs when the machine is in the step's state (a caller connects, speaks, hangs up; the model's
 * connection is let through, refused or dropped; the goodbye's marks come back), or a condition prepared before
 * the call (a timeout made short, the fake NPA or LLM failing or slow, the database refusing or holding a lead
 * insert, the local spool unwritable) that lets the server produce the event itself. Steps that cannot happen
 * through the server at all are named with the reason.
 *
 * Submission goes through the durable outbox: a complete lead is written pending before NPA is called. A path
 * whose submission fails at NPA either spends the outbox's whole budget at once (final failure: a failed row during
 * the call) or leaves the lead pending (the call reports "submission pending", a worker writes the row later).
 */

/** Timeouts a path fires are this short; the others are out of reach. */
export const FIRED_MS: Readonly<Record<string, number>> = {
  MODEL_CONNECT_TIMEOUT: 400,
  STREAM_START_TIMEOUT: 400,
  // Long enough that a goodbye said right after the stream opened lands first under a full parallel run.
  MAX_CALL: 1_500,
  TRANSCRIPT_WAIT: 600,
  EXTRACTION_TIMEOUT: 400,
  // Long enough for the outbox insert to commit first under a full parallel run (see SLOW_NPA_MS).
  SUBMISSION_TIMEOUT: 1_000,
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

/** The fake NPA answers this late on a path whose submission times out (past SUBMISSION_TIMEOUT, then accepts). */
export const SLOW_NPA_MS = 2_500;
/** A held lead insert (the database slow to take a refused lead) lasts this long: past SUBMISSION_TIMEOUT. */
export const SLOW_WRITE_MS = 2_000;
/**
 * Outbox knobs every path lab runs with (every lab's worker may claim any path's row on the shared database): quick
 * polls; a backoff short enough to finish a pending lead in a test's time, long enough that a lead a failed pass
 * rescheduled is still pending when the test reads the call's final session.
 */
export const PATH_RELIABILITY: Partial<ReliabilityConfig> = { OUTBOX_POLL_MS: 50, OUTBOX_RETRY_BASE_MS: 500, OUTBOX_MAX_ATTEMPTS: 1 };

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

/** One per-call database condition: the first `count` inserts into `table` fail, or are held `delayMs` first. */
export interface Refusal {
  table: LeadTable;
  count: number;
  delayMs?: number;
}

export interface ServerPlan {
  env: Record<string, string>;
  /** The lab's outbox knobs (PATH_RELIABILITY, with the attempt budget and backoff the path needs). */
  reliability: Partial<ReliabilityConfig>;
  script: Script;
  steps: StepPlan[];
  npaMode: FakeNpaMode;
  /** With npaMode 'slow': how late the fake NPA accepts. */
  npaSlowMs?: number;
  /** The fake NPA's first answers (one retryable failure, then its mode). */
  npaFailNext?: { count: number; status: number };
  chatMode: 'ok' | 'timeout';
  refusals: Refusal[];
  /** 'unwritable': the lab's DATA_DIR cannot be created, so a lead the database refused cannot be spooled either. */
  spool: 'ok' | 'unwritable';
  /**
   * Whether the call ends with its lead still pending in the outbox ("submission pending: ..."), to be finished by a
   * worker after the call; `finalRow` is the row that worker (or the call itself) writes, 'none' when the lead is lost.
   */
  pending: boolean;
  finalRow: 'succeeded' | 'failed' | 'none';
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
  'error:recordFailure@pending-lead':
    'after the submission deadline a complete lead is already pending in the outbox: recordFailure only reads where it stands (a select no per-call trigger can refuse) and reports it pending, so it cannot fail; error:recordFailure is replayed through the server after error:submitLead',
  'error:recordFailure@held-refused-lead':
    'after the submission deadline a refused lead is already being written (its failed_leads insert held past the deadline): recordFailure only waits for that row, so no insert of its own is left to refuse',
  'awaiting-transcript-without-model':
    'when awaiting-transcript is entered without a live model conversation (model failed, never connected, or the call never streamed), the transcript is settled at once: no late transcription can arrive and TRANSCRIPT_WAIT cannot fire',
};

/** Turns a generated path into what the test must prepare and do; or says why the server cannot produce it. */
export function planForServer(path: CallPath, index: number): Classification {
  const script: ScriptStep[] = [{ agent: GREETING }];
  const steps: StepPlan[] = [];
  const fired = new Set<string>();
  let npaMode: FakeNpaMode = 'ok';
  let npaSlowMs: number | undefined;
  let npaFailNext: ServerPlan['npaFailNext'];
  let chatMode: 'ok' | 'timeout' = 'ok';
  const refusals: Refusal[] = [];
  const reliability: { -readonly [K in keyof ReliabilityConfig]?: ReliabilityConfig[K] } = { ...PATH_RELIABILITY };
  let spool: ServerPlan['spool'] = 'ok';
  let pending = false;
  // How the submission ended before recordingFailure: a held refused lead, or a complete lead left in the outbox.
  let timedOut: 'held-refused-lead' | 'pending-lead' | null = null;
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
  const callerLine = (text: string, extra: Partial<{ transcriptDelayMs: number; holdTranscript: boolean }> = {}): number => {
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
        if (failure) {
          // A lead with a failure reason is one failed_leads insert: the database holds it past the deadline.
          refusals.push({ table: 'failed_leads', count: 1, delayMs: SLOW_WRITE_MS });
          timedOut = 'held-refused-lead';
        } else {
          // The lead is in the outbox and NPA is slower than the deadline: the call reports it pending, and a
          // worker's later pass (the fake then accepts) writes the succeeded row.
          npaMode = 'slow';
          npaSlowMs = SLOW_NPA_MS;
          reliability.OUTBOX_MAX_ATTEMPTS = 3;
          pending = true;
          timedOut = 'pending-lead';
        }
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
          // A caller line said before the call left streaming, whose transcription the fake holds until the replay
          // sees the call waiting for its transcript (so it lands there, however long the exit took).
          const at = callerLine(ZIP_LINE, { holdTranscript: true });
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
          // Nothing failed before: the LLM's lead is complete, so NPA has to refuse it. Half the paths spend the
          // outbox's budget at once (a 500 with one pass: a failed row now); the others get retryable 503s with
          // passes left (pending: a later worker pass is accepted). Two 503s, because a worker may claim the fresh
          // row before the call does; the call then takes the next pass itself (claimOne ignores the schedule).
          if (!failure && index % 2 === 0) {
            npaMode = 'fail-500';
            reliability.OUTBOX_MAX_ATTEMPTS = 1;
          } else if (!failure) {
            npaFailNext = { count: 2, status: 503 };
            reliability.OUTBOX_MAX_ATTEMPTS = 3;
            pending = true;
          }
        } else if (label === 'error:submitLead') {
          // submitLead rejects only when the lead was saved nowhere: the database refuses it once (the outbox row,
          // or the failed row of a lead that must not be sent) and the local spool cannot take it either.
          refusals.push({ table: failure ? 'failed_leads' : 'lead_outbox', count: 1 });
          spool = 'unwritable';
          failure = true;
        } else if (label !== 'done:submitLead(succeeded)') return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      case 'submitting.recordingFailure':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label === 'error:recordFailure') {
          if (timedOut !== null) return unreachable(pair, `error:recordFailure@${timedOut}`);
          // recordFailure's own failed row is refused too (and the spool is already unwritable): the lead is lost.
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
  const finalRow = path.expectedOutcome === 'lost' ? 'none' : pending ? 'succeeded' : path.expectedOutcome;
  return {
    replayable: true,
    plan: {
      env,
      reliability,
      script,
      steps,
      npaMode,
      ...(npaSlowMs === undefined ? {} : { npaSlowMs }),
      ...(npaFailNext === undefined ? {} : { npaFailNext }),
      chatMode,
      refusals,
      spool,
      pending,
      finalRow,
      apology,
    },
  };
}
