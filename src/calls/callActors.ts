import { fromCallback, fromPromise } from 'xstate';
import type { callMachine } from '../../machines/callMachine.js';
import type {
  CallExtraction,
  EndReason,
  RecordFailureInput,
  SubmitInput,
  SubmitOutput,
} from '../../machines/callTypes.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { LEAD_FIELDS, type Conversation, type ExtractionResult, type Turn } from '../leads/lead.js';
import { extractOffline } from '../leads/offlineExtractor.js';
import { submitLead, type LeadPipelineDeps } from '../leads/submitLead.js';
import type { ModelConnector } from '../realtime/modelConnection.js';
import type { Call } from './call.js';

/** Extraction as the call needs it (the combined LLM + offline extractor satisfies it). */
export interface CallExtractor {
  extract(conversation: Conversation, signal?: AbortSignal): Promise<CallExtraction>;
}

/** Ends a call through Twilio's REST API (only when credentials are configured). */
export interface CallControl {
  endCall(callSid: string): Promise<void>;
}

/** Everything a call's side effects need; built once by the app. */
export interface CallDeps {
  config: Config;
  logger: Logger;
  connector: ModelConnector;
  extractor: CallExtractor;
  pipeline: LeadPipelineDeps;
  callControl: CallControl | null;
  /** The session.update event (JSON) every call's model session starts with. */
  sessionUpdate: string;
}

type Implementations = Parameters<typeof callMachine.provide>[0];

/** The real implementations of the call machine's actors and actions, bound to one call. */
export function callActors(call: Call, deps: CallDeps): Implementations {
  return {
    actors: {
      connectModel: fromPromise<void, { callSid: string }>(async ({ signal }) => {
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
      }),
      relay: fromCallback(() => {
        call.relay.startConversation();
        return () => undefined;
      }),
      awaitTranscript: fromPromise<Turn[], { callSid: string }>(({ signal }) =>
        call.relay.whenTranscriptSettled(signal),
      ),
      extractLead: fromPromise<CallExtraction, { callSid: string; callerPhone: string | null; transcript: Turn[] }>(
        ({ input, signal }) => deps.extractor.extract({ callerPhone: input.callerPhone, turns: input.transcript }, signal),
      ),
      submitLead: fromPromise<SubmitOutput, SubmitInput>(({ input, signal }) => submit(call, deps, input, signal)),
      recordFailure: fromPromise<SubmitOutput, RecordFailureInput>(({ input }) => submit(call, deps, input, undefined)),
    },
    actions: {
      persistSession: ({ context }, params) => {
        const phase = params.phase;
        call.phaseTimes[phase] = new Date().toISOString();
        const state: Record<string, unknown> = {
          phase,
          callSid: context.callSid,
          callerPhone: context.callerPhone,
          leadId: context.leadId,
          endReason: context.endReason,
          failureReason: context.failureReason,
          timings: { ...call.phaseTimes },
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
          };
        }
        if (context.result !== null) state.outcome = context.result.outcome;
        if (context.lostReason !== null) state.lostReason = context.lostReason;
        void call.enqueueWrite(async () => {
          const existing = call.currentSessionId();
          if (existing === null) {
            call.setSessionId(
              await deps.pipeline.store.openSession({ channel: 'voice', sessionKey: context.callSid, state }),
            );
          } else {
            await deps.pipeline.store.updateSessionState(existing, state);
          }
        });
      },
      hangUp: (_, params) => {
        call.apology = params.apology;
        call.twilioEnded = true;
        call.relay.hangUpTwilio();
        if (!params.apology && deps.callControl !== null) {
          deps.callControl.endCall(call.callSid).catch((error: unknown) => {
            call.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'REST hang-up failed');
          });
        }
      },
      closeModel: () => call.relay.closeModel(),
      logMilestone: ({ context }, params) => {
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

async function submit(call: Call, deps: CallDeps, input: SubmitInput, signal: AbortSignal | undefined): Promise<SubmitOutput> {
  const sessionId = await call.session();
  // Extraction failed or timed out: read the transcript ourselves, so whatever the caller said is kept.
  const extraction = input.extraction?.result ?? extractOffline({ callerPhone: input.callerPhone, turns: input.transcript });
  const reasons = [input.failureReason, earlyEndReason(input.endReason, extraction)].filter(
    (r): r is string => typeof r === 'string' && r !== '',
  );
  const outcome = await submitLead(deps.pipeline, {
    sessionId,
    channel: 'voice',
    externalId: input.callSid,
    leadId: input.leadId,
    extraction,
    ...(reasons.length > 0 ? { failureReason: reasons.join('; ') } : {}),
    ...(signal ? { signal } : {}),
  });
  return outcome;
}

/** "incomplete: caller hung up after zip_code": what operations need to call back. Null when nothing is missing. */
export function earlyEndReason(endReason: EndReason | null, extraction: ExtractionResult): string | null {
  if (extraction.missing.length === 0) return null;
  if (endReason === 'stream-never-started') return 'incomplete: the call audio never started';
  if (endReason === 'max-duration') return 'incomplete: the call reached its maximum length';
  if (endReason !== 'caller-hangup') return null;
  const given = LEAD_FIELDS.filter((field) => extraction.lead[field] !== null);
  const last = given[given.length - 1];
  return last === undefined ? 'incomplete: caller hung up before giving any details' : `incomplete: caller hung up after ${last}`;
}
