import { SimulatedClock, createActor, fromCallback, fromPromise } from 'xstate';
import type { Actor, AnyEventObject } from 'xstate';
import { callMachine, type CallEvent } from '../../machines/callMachine.js';
import type {
  CallExtraction,
  CallInput,
  CallTimeouts,
  RecordFailureInput,
  SubmitInput,
  SubmitOutput,
} from '../../machines/callTypes.js';
import type { Turn } from '../../src/leads/lead.js';

/** One run of a promise actor: its input and abort signal, settled by the test through `resolve` / `reject`. */
export interface Invocation {
  actorId: string;
  input: unknown;
  signal: AbortSignal;
  settled: boolean;
  resolve(output: unknown): void;
  reject(error: unknown): void;
}

/** One run of the relay callback actor. */
export interface RelayRun {
  input: { callSid: string };
  sendBack: (event: CallEvent) => void;
  /** Makes the running relay fail with `error` (the machine then gets `xstate.error.actor.relay`). */
  fail: (error: unknown) => void;
  /** Cleaned up by the machine (state exit). */
  stopped: boolean;
  /** Ended by its own error: xstate does not call the cleanup of a callback actor that errored. */
  failed: boolean;
}

/** What the harness sends the relay to make it throw; only the fake relay understands it. */
const RELAY_FAIL = 'test.relay.fail';

export interface RecordedAction {
  type: 'persistSession' | 'hangUp' | 'closeModel' | 'logMilestone';
  params?: unknown;
}

export const TEST_INPUT: CallInput = { callSid: 'CA-test', leadId: 'lead-test', callerPhone: '+15555550123' };

/** The machine with every actor a controllable fake and every action recorded, on a simulated clock. */
export function createCallHarness(options: { input?: CallInput; timeouts?: Partial<CallTimeouts> } = {}) {
  const clock = new SimulatedClock();
  const invocations: Invocation[] = [];
  const relayRuns: RelayRun[] = [];
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
      relay: fromCallback<CallEvent, { callSid: string }>(({ input, sendBack, receive, self }) => {
        let failure: unknown = null;
        const run: RelayRun = {
          input,
          sendBack: (event) => sendBack(event as AnyEventObject),
          // A callback actor errors when its receiver throws: the same road as a real relay failing mid-call.
          fail: (error) => {
            failure = error;
            run.failed = true;
            self.send({ type: RELAY_FAIL } as never);
          },
          stopped: false,
          failed: false,
        };
        receive((event) => {
          if ((event as AnyEventObject).type === RELAY_FAIL) throw failure;
        });
        relayRuns.push(run);
        return () => {
          run.stopped = true;
        };
      }),
      awaitTranscript: deferred<Turn[], { callSid: string }>('awaitTranscript'),
      extractLead: deferred<CallExtraction, { callSid: string; callerPhone: string | null; transcript: Turn[] }>(
        'extractLead',
      ),
      submitLead: deferred<SubmitOutput, SubmitInput>('submitLead'),
      recordFailure: deferred<SubmitOutput, RecordFailureInput>('recordFailure'),
    },
    actions: {
      persistSession: (_, params) => void actions.push({ type: 'persistSession', params }),
      hangUp: (_, params) => void actions.push({ type: 'hangUp', params }),
      closeModel: () => void actions.push({ type: 'closeModel' }),
      logMilestone: (_, params) => void actions.push({ type: 'logMilestone', params }),
    },
  });

  const input: CallInput = { ...(options.input ?? TEST_INPUT), timeouts: options.timeouts };
  const actor: Actor<typeof machine> = createActor(machine, { input, clock });

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
    relayRuns,
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
    /** Fails the running relay and lets the machine react. */
    async failRelay(error: unknown = new Error('relay failed')) {
      const running = relayRuns.filter((r) => !r.stopped && !r.failed);
      if (running.length !== 1) throw new Error(`expected exactly one running relay, found ${running.length} (state ${stateOf()})`);
      (running[0] as RelayRun).fail(error);
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
