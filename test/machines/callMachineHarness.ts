import { SimulatedClock, createActor, fromCallback, fromPromise } from 'xstate';
import type { CapturedFields } from '../../src/leads/capturedFields.js';
import type { Actor, AnyEventObject, InspectionEvent } from 'xstate';
import { callMachine, type CallEvent } from '../../machines/callMachine.js';
import type {
  CallInput,
  CallTimeouts,
  Extraction,
  LeadOutcome,
  SpoolInput,
  SubmitInput,
} from '../../machines/callTypes.js';
import { emptyLead, LEAD_FIELDS, type ExtractionResult, type Turn } from '../../src/leads/lead.js';

/** One run of a promise actor: its input and abort signal, settled by the test through `resolve` / `reject`. */
export interface Invocation {
  actorId: string;
  input: unknown;
  signal: AbortSignal;
  settled: boolean;
  resolve(output: unknown): void;
  reject(error: unknown): void;
}

/** One run of the conversation callback actor. */
export interface ConversationRun {
  input: { callSid: string };
  sendBack: (event: CallEvent) => void;
  /** Makes the running conversation fail with `error` (the machine then gets `xstate.error.actor.conversation`). */
  fail: (error: unknown) => void;
  /** Cleaned up by the machine (state exit). */
  stopped: boolean;
  /** Ended by its own error: xstate does not call the cleanup of a callback actor that errored. */
  failed: boolean;
}

/** What the harness sends the conversation to make it throw; only the fake understands it. */
const CONVERSATION_FAIL = 'test.conversation.fail';

export interface RecordedAction {
  type: 'persistSession' | 'hangUp' | 'closeModel' | 'logMilestone';
  params?: unknown;
}

/** The offline reading of a conversation with nothing in it. */
export const EMPTY_READING: ExtractionResult = { lead: emptyLead(), complete: false, errors: [], missing: [...LEAD_FIELDS], reasons: {} };

export const TEST_INPUT: CallInput = {
  callSid: 'CA-test',
  leadId: 'lead-test',
  callerPhone: '+15555550123',
  initialReading: EMPTY_READING,
};

/** The machine with every actor a controllable fake and every action recorded, on a simulated clock. */
export function createCallHarness(options: { input?: CallInput; timeouts?: Partial<CallTimeouts>; inspect?: (event: InspectionEvent) => void } = {}) {
  const clock = new SimulatedClock();
  const invocations: Invocation[] = [];
  const conversationRuns: ConversationRun[] = [];
  const actions: RecordedAction[] = [];

  // Each run hangs until the test settles it; the signal shows whether the machine abandoned it.
  const deferred = <TOutput, TInput>(actorId: string) =>
    fromPromise<TOutput, TInput>(
      ({ input, signal }) =>
        new Promise<TOutput>((resolve, reject) => {
          const run: Invocation = {
            actorId,
            input,
            signal,
            settled: false,
            resolve: (output) => {
              run.settled = true;
              resolve(output as TOutput);
            },
            reject: (error) => {
              run.settled = true;
              reject(error);
            },
          };
          invocations.push(run);
        }),
    );

  const machine = callMachine.provide({
    actors: {
      connectModel: deferred<void, { callSid: string }>('connectModel'),
      conversation: fromCallback<CallEvent, { callSid: string }>(({ input, sendBack, receive, self }) => {
        let failure: unknown = null;
        const run: ConversationRun = {
          input,
          sendBack: (event) => sendBack(event as AnyEventObject),
          // A callback actor errors when its receiver throws: the same road as a real relay failing mid-call.
          fail: (error) => {
            failure = error;
            run.failed = true;
            self.send({ type: CONVERSATION_FAIL } as never);
          },
          stopped: false,
          failed: false,
        };
        receive((event) => {
          if ((event as AnyEventObject).type === CONVERSATION_FAIL) throw failure;
        });
        conversationRuns.push(run);
        return () => {
          run.stopped = true;
        };
      }),
      awaitTranscript: deferred<Turn[], { callSid: string }>('awaitTranscript'),
      extractLead: deferred<
        Extraction,
        { callSid: string; callerPhone: string | null; transcript: Turn[]; offline: ExtractionResult; captured: CapturedFields }
      >('extractLead'),
      acceptLead: deferred<LeadOutcome, SubmitInput>('acceptLead'),
      deliverLead: deferred<LeadOutcome, { callSid: string; leadId: string }>('deliverLead'),
      spoolLead: deferred<LeadOutcome, SpoolInput>('spoolLead'),
    },
    actions: {
      persistSession: (_, params) => void actions.push({ type: 'persistSession', params }),
      hangUp: (_, params) => void actions.push({ type: 'hangUp', params }),
      closeModel: () => void actions.push({ type: 'closeModel' }),
      logMilestone: (_, params) => void actions.push({ type: 'logMilestone', params }),
    },
  });

  const input: CallInput = { ...(options.input ?? TEST_INPUT), timeouts: options.timeouts };
  const actor: Actor<typeof machine> = createActor(machine, { input, clock, ...(options.inspect ? { inspect: options.inspect } : {}) });

  /** Runs of `actorId` the machine still waits for: neither settled nor abandoned. */
  const pending = (actorId: string) => invocations.filter((i) => i.actorId === actorId && !i.settled && !i.signal.aborted);

  /** The single pending run of `actorId`; fails loudly when the machine is not waiting for it. */
  const only = (actorId: string): Invocation => {
    const runs = pending(actorId);
    if (runs.length !== 1) {
      throw new Error(`expected exactly one pending ${actorId}, found ${runs.length} (state ${stateOf()})`);
    }
    return runs[0] as Invocation;
  };

  const stateOf = () => JSON.stringify(actor.getSnapshot().value);

  return {
    actor,
    clock,
    invocations,
    conversationRuns,
    actions,
    pending,
    only,
    /** The last run of `actorId`, settled or not. */
    last: (actorId: string): Invocation | undefined => invocations.filter((i) => i.actorId === actorId).at(-1),
    /** Resolves the pending run of `actorId` and lets the machine react. */
    async resolve(actorId: string, output?: unknown) {
      only(actorId).resolve(output);
      await flush();
    },
    /** Rejects the pending run of `actorId` and lets the machine react. */
    async reject(actorId: string, error: unknown = new Error(`${actorId} failed`)) {
      only(actorId).reject(error);
      await flush();
    },
    /** Fails the running conversation and lets the machine react. */
    async failConversation(error: unknown = new Error('conversation failed')) {
      const running = conversationRuns.filter((r) => !r.stopped && !r.failed);
      if (running.length !== 1) throw new Error(`expected exactly one running conversation, found ${running.length} (state ${stateOf()})`);
      (running[0] as ConversationRun).fail(error);
      await flush();
    },
    async send(event: CallEvent) {
      actor.send(event);
      await flush();
    },
    async advance(ms: number) {
      clock.increment(ms);
      await flush();
    },
    phases: () =>
      actions.filter((a) => a.type === 'persistSession').map((a) => (a.params as { phase: string }).phase),
    milestones: () =>
      actions.filter((a) => a.type === 'logMilestone').map((a) => (a.params as { event: string }).event),
    hangUps: () => actions.filter((a) => a.type === 'hangUp').map((a) => a.params as { apology: boolean }),
  };
}

export type CallHarness = ReturnType<typeof createCallHarness>;

/** Lets promise settlements reach the machine: fromPromise reports through several microtasks. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
