import { fromCallback, fromPromise } from 'xstate';
import { FINAL_CALL_STATES, type CallContext, type CallEvent, type callMachine } from '../../machines/callMachine.js';
import type { Extraction, LeadOutcome, SpoolInput, SubmitInput } from '../../machines/callTypes.js';
import { reasonOf } from '../errors.js';
import type { CapturedFields } from '../leads/capturedFields.js';
import type { ExtractionResult, Turn } from '../leads/lead.js';
import { offlineExtraction } from '../extraction/extractor.js';
import { refusalFor } from '../leads/problems.js';
import type { VoicePatch } from '../db/entities/sessionState.js';
import { outcomeOf, type LeadSubmission } from '../outbox/leadIntake.js';
import type { Call } from './call.js';
import type { CallDeps } from './callDeps.js';

type Implementations = Parameters<typeof callMachine.provide>[0];

/**
 * The real implementations of the call machine's actors and actions. Provided once for all calls (a `.provide()`
 * per call costs about 30 KB); each implementation finds its call by the CallSid in its input or context.
 */
export function callActors(callFor: (callSid: string) => Call, deps: CallDeps): Implementations {
  return {
    actors: {
      connectModel: fromPromise<void, { callSid: string }>(async ({ input, signal }) => {
        const call = callFor(input.callSid);
        const socket = await deps.connector.connect(
          {
            onMessage: (data) => call.relay.onModelMessage(data),
            onClose: (reason, expected) => call.relay.onModelClosed(reason, expected),
          },
          signal,
        );
        if (signal.aborted) {
          socket.close();
          return;
        }
        call.relay.attachModel(socket);
        await call.relay.sessionReady;
        // The greeting is asked for now, before Twilio's stream is up; its audio waits for the stream (relay.ts).
        if (!signal.aborted) call.relay.prepareGreeting();
      }),
      conversation: fromCallback<CallEvent, { callSid: string }>(({ input }) => {
        const relay = callFor(input.callSid).relay;
        relay.startConversation();
        return () => relay.endConversation();
      }),
      awaitTranscript: fromPromise<Turn[], { callSid: string }>(({ input, signal }) =>
        callFor(input.callSid).relay.whenTranscriptSettled(signal),
      ),
      extractLead: fromPromise<
        Extraction,
        { callSid: string; callerPhone: string | null; transcript: Turn[]; offline: ExtractionResult; captured: CapturedFields }
      >(({ input, signal }) =>
        deps.extractor.extract(
          { callerPhone: input.callerPhone, turns: input.transcript },
          { offline: input.offline, captured: input.captured, signal },
        ),
      ),
      acceptLead: fromPromise<LeadOutcome, SubmitInput>(async ({ input }) => {
        try {
          // A lead the database refuses for its data comes back failed with the reason; only an unreachable
          // database rejects (into spooling).
          return outcomeOf(input.leadId, await deps.intake.store(submissionOf(input)));
        } catch (error) {
          // The machine keeps the message (the spooled lead's reason): a database error's own inlines bound values.
          throw new Error(reasonOf(error), { cause: error });
        }
      }),
      deliverLead: fromPromise<LeadOutcome, { callSid: string; leadId: string }>(({ input, signal }) =>
        deps.intake.deliver(input.leadId, signal),
      ),
      spoolLead: fromPromise<LeadOutcome, SpoolInput>(({ input }) => {
        const submission = submissionOf(input);
        // The call ends in saved-failure (pending); the replay writes that phase with the transcript.
        return deps.intake.spool(
          { ...submission, sessionState: { ...submission.sessionState, phase: 'saved-failure', spooled: true } },
          new Error(input.storeError),
        );
      }),
    },
    actions: {
      persistSession: ({ context }, params) => {
        const final = FINAL_CALL_STATES.includes(params.phase);
        const call = callFor(context.callSid);
        const state = sessionStateOf(context, params.phase);
        // The quality record is the call's at its end: written once, with the final phase. Measuring never
        // breaks the call: without it the phase is written all the same.
        if (final) {
          try {
            state.quality = call.quality(context);
            const starts = call.relay.turnStartsMs();
            if (starts.length === context.transcript.length) state.turnStartsMs = starts;
          } catch (error) {
            call.logger.warn({ err: reasonOf(error) }, 'call quality record not computed');
          }
        }
        call.session.persist(params.phase, state, final);
      },
      hangUp: ({ context }, params) => {
        const call = callFor(context.callSid);
        call.relay.hangUpTwilio();
        if (!params.apology && deps.callControl !== null) {
          deps.callControl.endCall(call.callSid).catch((error: unknown) => {
            call.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'REST hang-up failed');
          });
        }
      },
      closeModel: ({ context }) => callFor(context.callSid).relay.closeModel(),
      logMilestone: ({ context }, params) => {
        const call = callFor(context.callSid);
        call.logger.info(
          {
            event: params.event,
            state: call.stateName(),
            endReason: context.endReason,
            outcome: context.result?.outcome,
            complete: context.extraction?.result.complete,
            missing: context.extraction?.result.missing,
            source: context.extraction?.source,
          },
          params.event,
        );
      },
    },
  };
}

/** The call's lead as the intake takes it: what was read, why it must not be sent, the session it belongs to. */
function submissionOf(input: SubmitInput): LeadSubmission {
  // No vote was taken (the extraction failed or timed out): the live capture and the offline reading decide.
  const extraction = input.extraction.decision === null ? offlineExtraction(input.extraction.offline, input.extraction.llmError, input.captured) : input.extraction;
  const { result, decision } = extraction;
  const refusal = refusalFor(result, { failure: input.failureReason, endReason: input.endReason });
  return {
    id: input.leadId,
    channel: 'voice',
    externalId: input.callSid,
    lead: result.lead,
    ...(refusal === undefined ? {} : { refusal }),
    decision,
    sessionKey: input.callSid,
    sessionState: {
      callSid: input.callSid,
      callerPhone: input.callerPhone,
      leadId: input.leadId,
      endReason: input.endReason,
      transcript: input.transcript,
    },
  };
}

/** The machine's view of the call as its session row keeps it. */
function sessionStateOf(context: CallContext, phase: string): VoicePatch {
  const state: VoicePatch = {
    callSid: context.callSid,
    callerPhone: context.callerPhone,
    leadId: context.leadId,
    endReason: context.endReason,
    failureReason: context.failureReason,
  };
  if (phase !== 'connecting' && phase !== 'streaming') state.transcript = context.transcript;
  if (context.extraction !== null) {
    state.fields = context.extraction.result.lead;
    state.extraction = {
      source: context.extraction.source,
      complete: context.extraction.result.complete,
      missing: context.extraction.result.missing,
      errors: context.extraction.result.errors,
      llmError: context.extraction.llmError ?? null,
      disagreements: context.extraction.disagreements,
      disputed: context.extraction.decision?.disputed ?? [],
    };
  }
  if (Object.keys(context.captured).length > 0) state.captured = context.captured;
  // A pending lead's outcome is the outbox's to write (it may already have, when its worker was quick).
  if (context.result !== null && context.result.pending !== true) state.outcome = context.result.outcome;
  if (context.lostReason !== null) state.lostReason = context.lostReason;
  if (context.result?.pending === true && context.storeError !== null) state.spooled = true;
  return state;
}
