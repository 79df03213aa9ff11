import { fromCallback, fromPromise } from 'xstate';
import type { CallEvent, callMachine } from '../../machines/callMachine.js';
import type {
  CallExtraction,
  EndReason,
  RecordFailureInput,
  SubmitInput,
  SubmitOutput,
} from '../../machines/callTypes.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { reasonOf } from '../errors.js';
import { LEAD_FIELDS, type Conversation, type ExtractionResult, type Lead, type Turn } from '../leads/lead.js';
import { extractOffline } from '../extraction/offline/extractOffline.js';
import { outboxOf, outcomeOf, refusalOf, type LeadPipelineDeps } from '../outbox/submitLead.js';
import type { LeadSpool } from '../outbox/leadSpool.js';
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
  /** Where a lead goes when the database cannot take it; null: no spool (the lead is then lost with a reason). */
  spool?: LeadSpool | null;
  /** How often a live call touches its session row. */
  heartbeatMs?: number;
}

/** How long the end of a call waits for the database to take the lead before it spools it instead. */
export const DB_WRITE_TIMEOUT_MS = 5_000;

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
      }),
      relay: fromCallback<CallEvent, { callSid: string }>(({ input }) => {
        callFor(input.callSid).relay.startConversation();
        return () => undefined;
      }),
      awaitTranscript: fromPromise<Turn[], { callSid: string }>(({ input, signal }) =>
        callFor(input.callSid).relay.whenTranscriptSettled(signal),
      ),
      extractLead: fromPromise<CallExtraction, { callSid: string; callerPhone: string | null; transcript: Turn[] }>(
        ({ input, signal }) => deps.extractor.extract({ callerPhone: input.callerPhone, turns: input.transcript }, signal),
      ),
      submitLead: fromPromise<SubmitOutput, SubmitInput>(({ input, signal }) =>
        submit(callFor(input.callSid), deps, input, signal),
      ),
      recordFailure: fromPromise<SubmitOutput, RecordFailureInput>(({ input }) =>
        recordFailure(callFor(input.callSid), deps, input),
      ),
    },
    actions: {
      persistSession: ({ context }, params) => {
        const call = callFor(context.callSid);
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
        // A pending lead's outcome is the outbox's to write (it may already have, when its worker was quick).
        if (context.result !== null && context.result.pending !== true) state.outcome = context.result.outcome;
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
      hangUp: ({ context }, params) => {
        const call = callFor(context.callSid);
        call.apology = params.apology;
        call.twilioEnded = true;
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

/**
 * Makes the call's lead durable and sends it: the outbox (pending, then sent by this process at once), or straight
 * to failed_leads when it must not be sent. If the database does not take it within DB_WRITE_TIMEOUT_MS, the lead
 * and its transcript go to the local spool instead and the call reports it pending.
 */
async function submit(call: Call, deps: CallDeps, input: SubmitInput, signal: AbortSignal | undefined): Promise<SubmitOutput> {
  // Extraction failed or timed out: read the transcript ourselves, so whatever the caller said is kept.
  const extraction = input.extraction?.result ?? extractOffline({ callerPhone: input.callerPhone, turns: input.transcript });
  const reasons = [input.failureReason, earlyEndReason(input.endReason, extraction)].filter(
    (r): r is string => typeof r === 'string' && r !== '',
  );
  const failureReason = reasons.length > 0 ? reasons.join('; ') : undefined;
  const refusal = refusalOf({ extraction, failureReason });
  const outbox = outboxOf(deps.pipeline);
  const acceptance = withDeadline(
    (async () => {
      const sessionId = (await call.session()) ?? (await openCallSession(call, deps, input));
      return outbox.accept({
        id: input.leadId,
        lead: extraction.lead,
        channel: 'voice',
        sessionId,
        externalId: input.callSid,
        ...(refusal === undefined ? {} : { refusal }),
      });
    })(),
    DB_WRITE_TIMEOUT_MS,
  ).catch(async (error: unknown) => spoolLead(call, deps, input, extraction.lead, refusal ?? null, error));
  // recordFailure must not write the lead again while this first write may still land.
  call.acceptance = acceptance;
  const accepted = await acceptance;
  if ('outcome' in accepted) return accepted;
  if (accepted.status !== 'pending') return outcomeOf(input.leadId, accepted);
  // The lead is safe in the outbox; send it now (a worker finishes it if this pass cannot).
  return submitOutcome(input.leadId, outbox, signal);
}

async function submitOutcome(leadId: string, outbox: ReturnType<typeof outboxOf>, signal: AbortSignal | undefined): Promise<SubmitOutput> {
  try {
    return outcomeOf(leadId, await outbox.process(leadId, signal));
  } catch (error) {
    return outcomeOf(leadId, { status: 'pending', attempts: 1, lastError: `could not record the outcome: ${reasonOf(error)}` });
  }
}

/**
 * The last resort after submission failed or timed out. A lead already durable (outbox, failed or succeeded row,
 * spool) is reported as it stands and not written again; only a lead that never got anywhere is recorded as failed
 * with the reason (or spooled, when the database is down).
 */
async function recordFailure(call: Call, deps: CallDeps, input: RecordFailureInput): Promise<SubmitOutput> {
  // The submission's own write of the lead (outbox, failed row, or spool) settles first: within DB_WRITE_TIMEOUT_MS
  // it is in the database or in the spool, so what follows sees where the lead stands and never writes it twice.
  if (call.acceptance !== null) await call.acceptance.catch(() => undefined);
  if (call.spooled) {
    return { outcome: 'failed', leadId: input.leadId, pending: true, reason: `submission pending: ${input.failureReason}; lead kept in the local spool` };
  }
  const outbox = outboxOf(deps.pipeline);
  const extraction = input.extraction?.result ?? extractOffline({ callerPhone: input.callerPhone, turns: input.transcript });
  const result = await withDeadline(
    (async () => {
      const state = await outbox.state(input.leadId);
      if (state.status === 'pending') {
        return { outcome: 'failed', leadId: input.leadId, pending: true, reason: `submission pending: ${input.failureReason}; the outbox will finish it` } satisfies SubmitOutput;
      }
      if (state.status !== 'absent') return outcomeOf(input.leadId, state);
      const sessionId = (await call.session()) ?? (await openCallSession(call, deps, input));
      return outcomeOf(
        input.leadId,
        await outbox.accept({ id: input.leadId, lead: extraction.lead, channel: 'voice', sessionId, externalId: input.callSid, refusal: input.failureReason }),
      );
    })(),
    DB_WRITE_TIMEOUT_MS,
  ).catch((error: unknown) => spoolLead(call, deps, input, extraction.lead, input.failureReason, error));
  return result;
}

/** The session row, when the call's own writes never created it (the database was down at the start). */
async function openCallSession(call: Call, deps: CallDeps, input: SubmitInput): Promise<string> {
  const id = await deps.pipeline.store.openSession({ channel: 'voice', sessionKey: input.callSid, state: callState(input) });
  call.setSessionId(id);
  return id;
}

function callState(input: SubmitInput): Record<string, unknown> {
  return { callSid: input.callSid, callerPhone: input.callerPhone, leadId: input.leadId, endReason: input.endReason, transcript: input.transcript };
}

/** The database did not take the lead: append it (and its transcript) to the fsynced spool; replayed later. */
async function spoolLead(
  call: Call,
  deps: CallDeps,
  input: SubmitInput,
  lead: Lead,
  refusal: string | null,
  error: unknown,
): Promise<SubmitOutput> {
  if (!deps.spool) throw error;
  await deps.spool.append({
    v: 1,
    id: input.leadId,
    channel: 'voice',
    externalId: input.callSid,
    sessionKey: input.callSid,
    // The call ends in saved-failure (pending); the replay writes that phase with the transcript.
    sessionState: { ...callState(input), phase: 'saved-failure', spooled: true },
    lead,
    refusal,
    spooledAt: new Date().toISOString(),
  });
  call.spooled = true;
  call.logger.warn({ leadId: input.leadId, err: reasonOf(error) }, 'database unavailable: lead spooled to disk');
  return {
    outcome: 'failed',
    leadId: input.leadId,
    pending: true,
    reason: `submission pending: database unavailable (${reasonOf(error)}); lead kept in the local spool`,
  };
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
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
