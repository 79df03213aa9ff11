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
  // Shorter than a held lead insert (SLOW_WRITE_MS), long enough for the session writes ahead of it.
  DB_WRITE_TIMEOUT: 600,
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
  DB_WRITE_TIMEOUT: 'DB_WRITE_TIMEOUT_MS',
  SUBMISSION_TIMEOUT: 'SUBMISSION_TIMEOUT_MS',
};

/** The fake NPA answers this late on a path whose submission times out (past SUBMISSION_TIMEOUT, then accepts). */
export const SLOW_NPA_MS = 2_500;
/** A held lead insert (the database slow to take the lead) lasts this long: past DB_WRITE_TIMEOUT. */
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
/**
 * The caller's last line before the goodbye: everything the fake LLM reads from the call, so its lead is supported
 * by what the caller said (a lead nothing the caller said supports is refused; see src/extraction/callerSupport.ts).
 */
export const DETAILS_LINE = "I'm Pat Example, ZIP 30301, my number is 404 555 0123, it's a 2019 Honda TRX 450R. That's all, thanks.";
/** The details without a phone: a lead every witness reads as incomplete (refused). */
export const DETAILS_LINE_NO_PHONE = "I'm Pat Example, ZIP 30301, it's a 2019 Honda TRX 450R. I'd rather not give a phone number. That's all, thanks.";
/** The details with a second number said in passing: the LLM (the fake) takes the other one, and the witnesses disagree. */
export const DETAILS_LINE_TWO_PHONES = "I'm Pat Example, ZIP 30301, my number is 404 555 0123, not my old one 404 555 0199, it's a 2019 Honda TRX 450R. That's all, thanks.";
/** The number the disputing LLM answers (said in DETAILS_LINE_TWO_PHONES, so not dropped as unsupported). */
export const DISPUTED_LLM_PHONE = '+14045550199';

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
  /** The caller says the line at scriptIndex; the fake model then records `field` (record_lead_field). */
  | { kind: 'record-field'; scriptIndex: number; field: 'zip_code' }
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

/**
 * One per-call database condition: the first `count` inserts into `table` fail, or are held `delayMs` first (and
 * then fail too with `thenFail`: a database that hangs, then errors).
 */
export interface Refusal {
  table: LeadTable;
  count: number;
  delayMs?: number;
  thenFail?: boolean;
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
  /** What the fake LLM reads from the call: a complete lead, or one without a phone (refused as incomplete). */
  /** `disputed`: the LLM answers the other number said (DETAILS_LINE_TWO_PHONES), on both asks: held for review. */
  llmLead: 'complete' | 'incomplete' | 'disputed';
  refusals: Refusal[];
  /** 'unwritable': the lab's DATA_DIR cannot be created, so a lead the database refused cannot be spooled either. */
  spool: 'ok' | 'unwritable';
  /** The lead went to the spool (the database did not take it); the lab's upkeep replays it after the call. */
  spooled: boolean;
  /**
   * Whether the call ends with its lead still pending in the outbox ("submission pending: ..."), to be finished by a
   * worker after the call; `finalRow` is the row that worker (or the call itself) writes, 'none' when the lead is lost.
   */
  pending: boolean;
  finalRow: 'succeeded' | 'failed' | 'review' | 'none';
  /** Whether the caller should hear the apology TwiML after the stream. */
  apology: boolean;
}

export type Classification = { replayable: true; plan: ServerPlan } | { replayable: false; pair: string; reason: string };

/** Why some (state, event) pairs have no road through the real server. */
export const UNREACHABLE_THROUGH_SERVER: Readonly<Record<string, string>> = {
  'error:conversation':
    'the conversation actor (callActors.ts) only calls relay.startConversation(), which sends on the model socket and never throws',
  'error:awaitTranscript': 'relay.whenTranscriptSettled() never rejects (an abort resolves it)',
  'error:extractLead':
    'the combined extractor falls back to the offline extractor on any LLM failure; it rejects only when aborted, which happens only once the machine has left extracting',
  'HANDED_OFF':
    'another instance must claim the stream: test/scale/twoInstances.test.ts runs two servers behind a round-robin proxy',
  'CALLER_HUNG_UP@connecting-before-stream':
    'a caller who hangs up before the media stream opens sends nothing to this server (no stream to stop); the server sees STREAM_START_TIMEOUT',
  'error:deliverLead':
    'deliverLead never rejects: once the lead is in the outbox a database failure while sending is reported as pending (the outbox finishes it)',
  'no-caller-details':
    'the lead can only be complete (sent, pending in the outbox) when the caller said its details: a call whose stream never carried them has its lead refused as incomplete, whatever the LLM answers',
  'after:EXTRACTION_TIMEOUT':
    "the extractor gives the LLM three quarters of EXTRACTION_TIMEOUT_MS and then answers with the offline reading itself (src/extraction/extractor.ts llmDeadlineMs), so the machine's own deadline fires only if the extractor hangs, which no fake can make it do",
  'after:SUBMISSION_TIMEOUT@spooling':
    'the spool is a local file: its append and fsync cannot be held past the submission deadline from outside the process',
  'awaiting-transcript-without-model':
    'when awaiting-transcript is entered without a live model conversation (model failed, never connected, or the call never streamed), the transcript is settled at once: no late transcription can arrive and TRANSCRIPT_WAIT cannot fire',
};

/** Alternates the two ways NPA refuses a delivery (final, retryable) over the paths planned, in their order. */
let deliveryFailures = 0;

/** Turns a generated path into what the test must prepare and do; or says why the server cannot produce it. */
export function planForServer(path: CallPath, index: number): Classification {
  const script: ScriptStep[] = [{ agent: GREETING }];
  const steps: StepPlan[] = [];
  const fired = new Set<string>();
  let npaMode: FakeNpaMode = 'ok';
  let npaSlowMs: number | undefined;
  let npaFailNext: ServerPlan['npaFailNext'];
  // The fake LLM always answers: its timeout cannot reach the machine through the server (see 'after:EXTRACTION_TIMEOUT').
  const chatMode: 'ok' | 'timeout' = 'ok';
  let llmLead: ServerPlan['llmLead'] = 'complete';
  // Whether the caller has said the whole lead (the goodbye line carries it).
  let detailsSaid = false;
  let spooled = false;
  const refusals: Refusal[] = [];
  const reliability: { -readonly [K in keyof ReliabilityConfig]?: ReliabilityConfig[K] } = { ...PATH_RELIABILITY };
  let spool: ServerPlan['spool'] = 'ok';
  let pending = false;
  let apology = false;
  let streamStarted = false;
  let modelReady = false;
  let failure = false;
  // Whether the call reached awaiting-transcript with a live conversation whose transcriptions can still arrive.
  let liveConversation = false;
  let lastStreamingExit: StepPlan | null = null;
  let hangUps = 0;
  // The caller's details line (its script index and the step that waits for it), reworded for some outcomes.
  let details: { index: number; plan: StepPlan } | null = null;
  const sayDetails = (text: string): void => {
    if (details === null) return;
    script[details.index] = { ...(script[details.index] as object), caller: text } as ScriptStep;
    details.plan.stimulus = { kind: 'caller-says', scriptIndex: details.index, observe: 'state', text };
  };

  const unreachable = (pair: string, reasonKey: string): Classification => ({
    replayable: false,
    pair,
    reason: UNREACHABLE_THROUGH_SERVER[reasonKey] ?? reasonKey,
  });
  /** The table the lead's first insert goes to: failed_leads for a lead that must not be sent, else the outbox. */
  const leadRefused = (): boolean => failure || llmLead === 'incomplete' || !detailsSaid;
  const leadTable = (): LeadTable => (leadRefused() ? 'failed_leads' : 'lead_outbox');
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
      if (after === 'EXTRACTION_TIMEOUT') return unreachable(pair, 'after:EXTRACTION_TIMEOUT');
      if (after === 'SUBMISSION_TIMEOUT') {
        if (from === 'submitting.spooling') return unreachable(pair, 'after:SUBMISSION_TIMEOUT@spooling');
        // The lead is in the outbox and NPA is slower than the deadline: the call reports it pending, and a
        // worker's later pass (the fake then accepts) writes the succeeded row.
        npaMode = 'slow';
        npaSlowMs = SLOW_NPA_MS;
        reliability.OUTBOX_MAX_ATTEMPTS = 3;
        pending = true;
      }
      if (after === 'DB_WRITE_TIMEOUT') {
        // The database holds the lead's insert past the deadline, then fails it: the lead lives in the spool only,
        // and the lab's upkeep replays it once the call is over.
        refusals.push({ table: leadTable(), count: 1, delayMs: SLOW_WRITE_MS, thenFail: true });
        spooled = true;
        pending = true;
      }
      if (after === 'TRANSCRIPT_WAIT' && !liveConversation) return unreachable(pair, 'awaiting-transcript-without-model');
      if (after === 'TRANSCRIPT_WAIT') lastStreamingExit?.pendingBefore.push(callerLine('And one more thing.', { transcriptDelayMs: NEVER_TRANSCRIPT_MS }));
      if (from.startsWith('streaming.') || from === 'connecting') liveConversation = from.startsWith('streaming.');
      if (from.startsWith('streaming.')) lastStreamingExit = plan;
      steps.push(plan);
      continue;
    }
    if (['error:conversation', 'error:awaitTranscript', 'error:extractLead', 'error:deliverLead'].includes(label)) {
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
        } else if (label === 'HANDED_OFF') {
          return unreachable(pair, 'HANDED_OFF');
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
          const gate = callerLine(DETAILS_LINE);
          detailsSaid = true;
          script.push({ agent: 'Thank you for calling Power Sport Buyers, goodbye!' }, { endCall: true });
          plan.stimulus = { kind: 'caller-says', scriptIndex: gate, observe: 'state', text: DETAILS_LINE };
          details = { index: gate, plan };
        } else if (label === 'FIELD_CAPTURED') {
          // The caller gives the ZIP and the agent records it through its tool, then goes on talking.
          const gate = callerLine(ZIP_LINE);
          script.push({ recordField: { field: 'zip_code', value: '30301' } }, { agent: 'Thanks, I have your ZIP code.' });
          plan.stimulus = { kind: 'record-field', scriptIndex: gate, field: 'zip_code' };
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
      case 'submitting.accepting':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label === 'done:acceptLead(failed)') {
          // Refused: by the failure before it, by details the caller never said, or because the LLM read an incomplete lead.
          // Every witness must read it so: the caller keeps the phone back, and the LLM reads none.
          if (!failure && detailsSaid) {
            llmLead = 'incomplete';
            sayDetails(DETAILS_LINE_NO_PHONE);
          }
        } else if (label === 'error:acceptLead') {
          // The database refuses the lead's insert (the outbox row, or the failed row of a lead that must not be
          // sent) once: the lead goes to the spool, and the replay's insert goes through.
          refusals.push({ table: leadTable(), count: 1 });
          spooled = true;
          pending = true;
        } else if (label === 'done:acceptLead(pending)') {
          if (!detailsSaid) return unreachable(pair, 'no-caller-details');
        } else if (label === 'done:acceptLead(review)') {
          // The witnesses disagree on the phone and the LLM keeps its answer when asked again: held for review.
          if (!detailsSaid) return unreachable(pair, 'no-caller-details');
          llmLead = 'disputed';
          sayDetails(DETAILS_LINE_TWO_PHONES);
        } else return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      case 'submitting.delivering':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label === 'done:deliverLead(failed)') {
          // NPA has to refuse the lead. Half the paths spend the outbox's budget at once (a 500 with one pass: a
          // failed row now); the others get retryable 503s with passes left (pending: a later worker pass is
          // accepted). Two 503s, because a worker may claim the fresh row before the call does; the call then takes
          // the next pass itself (claimOne ignores the schedule).
          if (deliveryFailures++ % 2 === 0) {
            npaMode = 'fail-500';
            reliability.OUTBOX_MAX_ATTEMPTS = 1;
          } else {
            npaFailNext = { count: 2, status: 503 };
            reliability.OUTBOX_MAX_ATTEMPTS = 3;
            pending = true;
          }
        } else if (label !== 'done:deliverLead(succeeded)') return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      case 'submitting.spooling':
        if (label === 'CALLER_HUNG_UP') plan.stimulus = { kind: 'ignored-hang-up' };
        else if (label === 'error:spoolLead') {
          spool = 'unwritable';
          spooled = false;
          pending = false;
        } else if (!label.startsWith('done:spoolLead')) return unreachable(pair, `no stimulus known for ${pair}`);
        break;
      default:
        return unreachable(pair, `no stimulus known for ${pair}`);
    }
    steps.push(plan);
  }
  // The fake's script never runs out while the call lives (a cue for "the previous step is done" always follows).
  script.push({ wait: NEVER_TRANSCRIPT_MS });

  const env: Record<string, string> = { NPA_MAX_ATTEMPTS: '1', NPA_TIMEOUT_MS: String(UNFIRED_MS) };
  // spoolLead rejects only when neither the spool nor the memory queue can take the lead: no queue here.
  if (spool === 'unwritable') env['LEAD_MEMORY_QUEUE_MAX'] = '0';
  for (const [delay, key] of Object.entries(DELAY_ENV)) env[key] = String(fired.has(delay) ? FIRED_MS[delay] : UNFIRED_MS);
  // A pending or spooled lead ends as its lead would have: succeeded when it may be sent, failed when refused.
  const refusedLead = leadRefused();
  const finalRow = path.expectedOutcome === 'lost' || path.expectedOutcome === 'handed-off' ? 'none' : path.expectedOutcome === 'review' ? 'review' : pending ? (refusedLead ? 'failed' : 'succeeded') : path.expectedOutcome;
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
      llmLead,
      refusals,
      spool,
      spooled,
      pending,
      finalRow,
      apology,
    },
  };
}
