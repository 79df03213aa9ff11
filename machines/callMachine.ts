import { assign, fromCallback, fromPromise, setup } from 'xstate';
import type { CapturedField, CapturedFields } from '../src/leads/capturedFields.js';
import type { ExtractionResult, LeadField, Turn } from '../src/leads/lead.js';
import {
  DEFAULT_CALL_TIMEOUTS,
  type CallInput,
  type CallOutput,
  type CallTimeouts,
  type EndReason,
  type Extraction,
  type LeadOutcome,
  type SpoolInput,
  type SubmitInput,
} from './callTypes.js';

export interface CallContext {
  callSid: string;
  leadId: string;
  callerPhone: string | null;
  timeouts: CallTimeouts;
  modelReady: boolean;
  streamStarted: boolean;
  streamSid: string | null;
  /**
   * The offline reading of the conversation so far (kept current by FIELDS_UPDATED). Extraction decides at the end;
   * when it fails or times out, this reading is what is submitted.
   */
  reading: ExtractionResult;
  /** What the agent recorded through its `record_lead_field` tool so far (the live capture witness). */
  captured: CapturedFields;
  transcript: Turn[];
  endReason: EndReason | null;
  failureReason: string | null;
  /** The caller hears the apology when the stream closes (the model failed). */
  apology: boolean;
  extraction: Extraction | null;
  /** Why the database did not take the lead (it is spooled instead). */
  storeError: string | null;
  result: LeadOutcome | null;
  lostReason: string | null;
  /** The instance that claimed this call's stream (HANDED_OFF); null while the call is this instance's. */
  handedOffTo: string | null;
}

export type CallEvent =
  /** Twilio's `start` arrived on the media stream. */
  | { type: 'STREAM_STARTED'; streamSid: string }
  /** Twilio `stop`, or the media socket closed. */
  | { type: 'CALLER_HUNG_UP' }
  /** The transcript as assembled so far, in conversation order. */
  | { type: 'TRANSCRIPT_UPDATED'; turns: Turn[] }
  /** The offline reading of the transcript so far. */
  | { type: 'FIELDS_UPDATED'; reading: ExtractionResult }
  /** The agent recorded a confirmed field (`record_lead_field`) and the normalizer accepted it. */
  | { type: 'FIELD_CAPTURED'; field: LeadField; captured: CapturedField }
  /** The agent ended the conversation (its `end_call` tool, or a goodbye phrase as the fallback). */
  | { type: 'GOODBYE'; via: 'tool' | 'phrase' }
  /** The goodbye's audio has played to the caller (its mark came back). */
  | { type: 'GOODBYE_PLAYED' }
  /** The model's socket dropped or errored after it was open. */
  | { type: 'MODEL_FAILED'; reason: string }
  /**
   * Twilio's stream for this call was claimed by another instance (no sticky routing): that instance runs the
   * call and saves its lead; this one lets its pre-warmed model go and writes nothing.
   */
  | { type: 'HANDED_OFF'; instanceId: string };

/** Placeholder implementations: the real ones arrive through `.provide()`; these fail loudly if forgotten. */
const notProvided = (name: string) => () => Promise.reject(new Error(`actor ${name} not provided`));
const callbackNotProvided = (name: string) => () => {
  throw new Error(`actor ${name} not provided`);
};

/**
 * The life of one phone call, from the Twilio webhook to a saved lead. Audio never passes through it: the relay
 * moves frames, and this machine decides when the conversation starts and ends and what happens to the lead.
 */
export const callMachine = setup({
  types: {
    context: {} as CallContext,
    events: {} as CallEvent,
    input: {} as CallInput,
    output: {} as CallOutput,
  },
  actors: {
    /** Opens (or adopts the pre-warmed) OpenAI Realtime session and configures it. */
    connectModel: fromPromise<void, { callSid: string }>(notProvided('connectModel')),
    /**
     * The conversation while both legs are up: asks the model for the greeting when it starts, and when it stops
     * (the call leaves streaming) the relay ends the conversation: no goodbye or model failure is reported after.
     */
    conversation: fromCallback<CallEvent, { callSid: string }>(callbackNotProvided('conversation')),
    /** Resolves with the final transcript once no transcription is pending. */
    awaitTranscript: fromPromise<Turn[], { callSid: string }>(notProvided('awaitTranscript')),
    /** Reads the lead from its witnesses (live capture, the LLM, the offline reading) and decides each field. */
    extractLead: fromPromise<
      Extraction,
      { callSid: string; callerPhone: string | null; transcript: Turn[]; offline: ExtractionResult; captured: CapturedFields }
    >(notProvided('extractLead')),
    /**
     * Makes the lead durable: the session and a pending outbox row (output `pending`: to deliver), or a failed row
     * when it must not be sent (output `failed`). Idempotent by lead id.
     */
    acceptLead: fromPromise<LeadOutcome, SubmitInput>(notProvided('acceptLead')),
    /** Sends the accepted lead to the NPA API now; `pending` when a worker will finish it. */
    deliverLead: fromPromise<LeadOutcome, { callSid: string; leadId: string }>(notProvided('deliverLead')),
    /** The database did not take the lead: keeps it in the local spool (output pending), or rejects: lost. */
    spoolLead: fromPromise<LeadOutcome, SpoolInput>(notProvided('spoolLead')),
  },
  actions: {
    /** The model failed: the lead will be saved as failed with this reason, and the caller hears the apology. */
    markModelFailure: assign((_, params: { reason: string }) => ({
      endReason: 'model-failure' as const,
      failureReason: params.reason,
      apology: true,
    })),
    /** Writes the session row (created on the first call, then updated) with the machine's state. */
    persistSession: (_, _params: { phase: string }) => undefined,
    /** Ends the Twilio leg: closes the media stream (so `<Hangup/>` or the apology runs), and via REST if configured. */
    hangUp: (_, _params: { apology: boolean }) => undefined,
    /** Closes the model's socket once nothing more is expected from it. */
    closeModel: () => undefined,
    /** Structured milestone for the logs (no personal data). */
    logMilestone: (_, _params: { event: string }) => undefined,
  },
  guards: {
    streamStarted: ({ context }) => context.streamStarted,
    modelReady: ({ context }) => context.modelReady,
    modelNotReady: ({ context }) => !context.modelReady,
    streamNotStarted: ({ context }) => !context.streamStarted,
    succeeded: (_, params: { output: LeadOutcome }) => params.output.outcome === 'succeeded',
    /** The witnesses disagree and a person decides: the lead is held for review, not sent. */
    inReview: (_, params: { output: LeadOutcome }) => params.output.outcome === 'review',
    /** The lead is in the outbox, not sent yet. */
    pending: (_, params: { output: LeadOutcome }) => params.output.pending === true,
  },
  delays: {
    MODEL_CONNECT_TIMEOUT: ({ context }) => context.timeouts.modelConnectMs,
    STREAM_START_TIMEOUT: ({ context }) => context.timeouts.streamStartMs,
    MAX_CALL: ({ context }) => context.timeouts.maxCallMs,
    GOODBYE_PLAYBACK_TIMEOUT: ({ context }) => context.timeouts.goodbyePlaybackMs,
    TRANSCRIPT_WAIT: ({ context }) => context.timeouts.transcriptWaitMs,
    EXTRACTION_TIMEOUT: ({ context }) => context.timeouts.extractionMs,
    DB_WRITE_TIMEOUT: ({ context }) => context.timeouts.dbWriteMs,
    SUBMISSION_TIMEOUT: ({ context }) => context.timeouts.submissionMs,
  },
}).createMachine({
  id: 'call',
  context: ({ input }) => ({
    callSid: input.callSid,
    leadId: input.leadId,
    callerPhone: input.callerPhone,
    timeouts: { ...DEFAULT_CALL_TIMEOUTS, ...input.timeouts },
    modelReady: false,
    streamStarted: false,
    streamSid: null,
    reading: input.initialReading,
    captured: {},
    transcript: [],
    endReason: null,
    failureReason: null,
    apology: false,
    extraction: null,
    storeError: null,
    result: null,
    lostReason: null,
    handedOffTo: null,
  }),
  on: {
    TRANSCRIPT_UPDATED: { actions: assign({ transcript: ({ event }) => event.turns }) },
    FIELDS_UPDATED: { actions: assign({ reading: ({ event }) => event.reading }) },
    FIELD_CAPTURED: {
      actions: assign({ captured: ({ context, event }) => ({ ...context.captured, [event.field]: event.captured }) }),
    },
  },
  initial: 'connecting',
  states: {
    connecting: {
      entry: { type: 'persistSession', params: { phase: 'connecting' } },
      invoke: {
        id: 'connectModel',
        src: 'connectModel',
        input: ({ context }) => ({ callSid: context.callSid }),
        onDone: [
          { guard: 'streamStarted', target: 'streaming', actions: assign({ modelReady: true }) },
          { actions: assign({ modelReady: true }) },
        ],
        onError: {
          target: 'awaiting-transcript',
          actions: [
            {
              type: 'markModelFailure',
              params: ({ event }) => ({ reason: `model connection failed: ${errorMessage(event.error)}` }),
            },
            { type: 'hangUp', params: { apology: true } },
          ],
        },
      },
      on: {
        STREAM_STARTED: [
          {
            guard: 'modelReady',
            target: 'streaming',
            actions: assign({ streamStarted: true, streamSid: ({ event }) => event.streamSid }),
          },
          { actions: assign({ streamStarted: true, streamSid: ({ event }) => event.streamSid }) },
        ],
        // The pre-warmed model socket died before the caller's stream started.
        MODEL_FAILED: {
          target: 'awaiting-transcript',
          actions: [
            { type: 'markModelFailure', params: ({ event }) => ({ reason: `model connection lost: ${event.reason}` }) },
            { type: 'hangUp', params: { apology: true } },
          ],
        },
        CALLER_HUNG_UP: {
          target: 'awaiting-transcript',
          actions: assign({ endReason: 'caller-hangup' }),
        },
        HANDED_OFF: { guard: 'streamNotStarted', target: 'handed-off', actions: assign({ handedOffTo: ({ event }) => event.instanceId }) },
      },
      after: {
        MODEL_CONNECT_TIMEOUT: {
          guard: 'modelNotReady',
          target: 'awaiting-transcript',
          actions: [
            {
              type: 'markModelFailure',
              params: ({ context }) => ({
                reason: `model connection failed: timeout after ${context.timeouts.modelConnectMs} ms`,
              }),
            },
            { type: 'hangUp', params: { apology: true } },
          ],
        },
        STREAM_START_TIMEOUT: {
          guard: 'streamNotStarted',
          target: 'awaiting-transcript',
          actions: [assign({ endReason: 'stream-never-started' }), { type: 'hangUp', params: { apology: false } }],
        },
      },
    },
    streaming: {
      entry: { type: 'persistSession', params: { phase: 'streaming' } },
      invoke: {
        id: 'conversation',
        src: 'conversation',
        input: ({ context }) => ({ callSid: context.callSid }),
        onError: {
          target: 'awaiting-transcript',
          actions: [
            assign({
              endReason: ({ context }) => context.endReason ?? 'model-failure',
              failureReason: ({ event }) => `conversation failed: ${errorMessage(event.error)}`,
              apology: true,
            }),
            { type: 'hangUp', params: { apology: true } },
          ],
        },
      },
      initial: 'conversing',
      states: {
        conversing: {
          on: {
            GOODBYE: {
              target: 'closing',
              actions: [assign({ endReason: 'goodbye' }), { type: 'logMilestone', params: { event: 'goodbye_detected' } }],
            },
          },
        },
        /** The goodbye is playing; hang up once its last mark comes back (or it takes too long). */
        closing: {
          on: {
            GOODBYE_PLAYED: {
              target: '#call.awaiting-transcript',
              actions: { type: 'hangUp', params: { apology: false } },
            },
            // The conversation is over; a model socket closing now costs nothing, so no apology.
            MODEL_FAILED: {
              target: '#call.awaiting-transcript',
              actions: { type: 'hangUp', params: { apology: false } },
            },
          },
          after: {
            GOODBYE_PLAYBACK_TIMEOUT: {
              target: '#call.awaiting-transcript',
              actions: { type: 'hangUp', params: { apology: false } },
            },
          },
        },
      },
      on: {
        CALLER_HUNG_UP: {
          target: 'awaiting-transcript',
          // A caller who hangs up during the goodbye still completed the call.
          actions: assign({ endReason: ({ context }) => context.endReason ?? 'caller-hangup' }),
        },
        MODEL_FAILED: {
          target: 'awaiting-transcript',
          actions: [
            { type: 'markModelFailure', params: ({ event }) => ({ reason: `model connection lost: ${event.reason}` }) },
            { type: 'hangUp', params: { apology: true } },
          ],
        },
      },
      after: {
        MAX_CALL: {
          target: 'awaiting-transcript',
          actions: [
            assign({ endReason: ({ context }) => context.endReason ?? 'max-duration' }),
            { type: 'hangUp', params: { apology: false } },
          ],
        },
      },
    },
    'awaiting-transcript': {
      entry: { type: 'persistSession', params: { phase: 'awaiting-transcript' } },
      exit: 'closeModel',
      invoke: {
        id: 'awaitTranscript',
        src: 'awaitTranscript',
        input: ({ context }) => ({ callSid: context.callSid }),
        onDone: { target: 'extracting', actions: assign({ transcript: ({ event }) => event.output }) },
        // The transcript so far (kept current by TRANSCRIPT_UPDATED) is what we have; go on with it.
        onError: { target: 'extracting' },
      },
      after: { TRANSCRIPT_WAIT: { target: 'extracting' } },
    },
    extracting: {
      entry: [
        { type: 'persistSession', params: { phase: 'extracting' } },
        { type: 'logMilestone', params: { event: 'extracting_lead' } },
      ],
      invoke: {
        id: 'extractLead',
        src: 'extractLead',
        input: ({ context }) => ({
          callSid: context.callSid,
          callerPhone: context.callerPhone,
          transcript: context.transcript,
          offline: context.reading,
          captured: context.captured,
        }),
        onDone: {
          target: 'submitting',
          actions: [
            assign({ extraction: ({ event }) => event.output }),
            { type: 'logMilestone', params: { event: 'lead_extracted' } },
          ],
        },
        onError: {
          target: 'submitting',
          actions: [
            assign({
              failureReason: ({ event }) => `extraction failed: ${errorMessage(event.error)}`,
              extraction: ({ context }) => offlineFallback(context),
            }),
            { type: 'logMilestone', params: { event: 'lead_extraction_error' } },
          ],
        },
      },
      after: {
        EXTRACTION_TIMEOUT: {
          target: 'submitting',
          actions: [
            assign({
              failureReason: ({ context }) => `extraction failed: timeout after ${context.timeouts.extractionMs} ms`,
              extraction: ({ context }) => offlineFallback(context),
            }),
            { type: 'logMilestone', params: { event: 'lead_extraction_error' } },
          ],
        },
      },
    },
    submitting: {
      entry: { type: 'persistSession', params: { phase: 'submitting' } },
      initial: 'accepting',
      states: {
        /** The lead goes into the database: the outbox (to send), or a failed row (must not be sent). */
        accepting: {
          invoke: {
            id: 'acceptLead',
            src: 'acceptLead',
            input: ({ context }) => submitInputOf(context),
            onDone: [
              { guard: { type: 'pending', params: ({ event }) => ({ output: event.output }) }, target: 'delivering' },
              {
                guard: { type: 'inReview', params: ({ event }) => ({ output: event.output }) },
                target: '#call.saved-review',
                actions: assign({ result: ({ event }) => event.output }),
              },
              {
                guard: { type: 'succeeded', params: ({ event }) => ({ output: event.output }) },
                target: '#call.saved-success',
                actions: assign({ result: ({ event }) => event.output }),
              },
              { target: '#call.saved-failure', actions: assign({ result: ({ event }) => event.output }) },
            ],
            onError: { target: 'spooling', actions: assign({ storeError: ({ event }) => errorMessage(event.error) }) },
          },
          after: {
            // A write that lands after this is harmless: accepting is idempotent by lead id, so the spooled copy's
            // replay finds the lead where it stands and changes nothing.
            DB_WRITE_TIMEOUT: {
              target: 'spooling',
              actions: assign({
                storeError: ({ context }) => `database did not answer within ${context.timeouts.dbWriteMs} ms`,
              }),
            },
          },
        },
        /** The lead is durable in the outbox; send it now (a worker finishes it if this cannot). */
        delivering: {
          invoke: {
            id: 'deliverLead',
            src: 'deliverLead',
            input: ({ context }) => ({ callSid: context.callSid, leadId: context.leadId }),
            onDone: [
              {
                guard: { type: 'succeeded', params: ({ event }) => ({ output: event.output }) },
                target: '#call.saved-success',
                actions: assign({ result: ({ event }) => event.output }),
              },
              { target: '#call.saved-failure', actions: assign({ result: ({ event }) => event.output }) },
            ],
            onError: {
              target: '#call.saved-failure',
              actions: assign({ result: ({ context, event }) => pendingInOutbox(context, errorMessage(event.error)) }),
            },
          },
          after: {
            SUBMISSION_TIMEOUT: {
              target: '#call.saved-failure',
              actions: assign({
                result: ({ context }) => pendingInOutbox(context, `timeout after ${context.timeouts.submissionMs} ms`),
              }),
            },
          },
        },
        /** The database did not take the lead: the local spool keeps it until the database is back. */
        spooling: {
          invoke: {
            id: 'spoolLead',
            src: 'spoolLead',
            input: ({ context }) => ({ ...submitInputOf(context), storeError: context.storeError ?? 'database unavailable' }),
            onDone: { target: '#call.saved-failure', actions: assign({ result: ({ event }) => event.output }) },
            onError: {
              target: '#call.saved-failure',
              actions: assign({ lostReason: ({ event }) => `could not record the lead: ${errorMessage(event.error)}` }),
            },
          },
          after: {
            SUBMISSION_TIMEOUT: {
              target: '#call.saved-failure',
              actions: assign({
                lostReason: ({ context }) =>
                  `could not record the lead: the spool did not answer within ${context.timeouts.submissionMs} ms`,
              }),
            },
          },
        },
      },
    },
    'saved-success': {
      type: 'final',
      entry: [
        { type: 'persistSession', params: { phase: 'saved-success' } },
        { type: 'logMilestone', params: { event: 'lead_submitted' } },
      ],
    },
    /** The lead is durable but held: its witnesses disagree on a field, and a person decides (`leads review`). */
    'saved-review': {
      type: 'final',
      entry: [
        { type: 'persistSession', params: { phase: 'saved-review' } },
        { type: 'logMilestone', params: { event: 'lead_held_for_review' } },
      ],
    },
    /**
     * Another instance claimed this call's stream and runs it: the pre-warmed model is let go, nothing is written
     * (the session row is the other instance's now), and no lead is made here.
     */
    'handed-off': {
      type: 'final',
      entry: ['closeModel', { type: 'logMilestone', params: { event: 'call_handed_off' } }],
    },
    'saved-failure': {
      type: 'final',
      entry: [
        { type: 'persistSession', params: { phase: 'saved-failure' } },
        { type: 'logMilestone', params: { event: 'lead_submission_failed' } },
      ],
    },
  },
  output: ({ context }) => ({
    outcome: context.handedOffTo !== null ? 'handed-off' : context.lostReason ? 'lost' : (context.result?.outcome ?? 'failed'),
    leadId: context.leadId,
    reason: context.lostReason ?? context.result?.reason ?? context.failureReason,
    endReason: context.endReason,
  }),
});

function submitInputOf(context: CallContext): SubmitInput {
  return {
    callSid: context.callSid,
    leadId: context.leadId,
    callerPhone: context.callerPhone,
    transcript: context.transcript,
    endReason: context.endReason,
    failureReason: context.failureReason,
    extraction: context.extraction ?? offlineFallback(context),
    captured: context.captured,
  };
}

/** The live offline reading as the extraction, when extraction failed or timed out. */
function offlineFallback(context: CallContext): Extraction {
  return { result: context.reading, source: 'offline', offline: context.reading, disagreements: [], decision: null };
}

/** The lead is durable in the outbox but the call stops waiting for NPA: a worker finishes it. */
function pendingInOutbox(context: CallContext, why: string): LeadOutcome {
  return { outcome: 'failed', leadId: context.leadId, pending: true, reason: `submission pending: ${why}; the outbox will finish it` };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export type CallMachine = typeof callMachine;

/**
 * The phases a call's session ends in (its `type: 'final'` states): a session whose phase is one of them is finished.
 * `handed-off` is left out: it writes nothing (the instance that adopted the call writes its session).
 */
export const FINAL_CALL_STATES: readonly string[] = Object.values(callMachine.root.states)
  .filter((node) => node.type === 'final' && node.key !== 'handed-off')
  .map((node) => node.key);
