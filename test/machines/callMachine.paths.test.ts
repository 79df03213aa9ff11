import { describe, expect, it } from 'vitest';
import { callMachine } from '../../machines/callMachine.js';
import { DEFAULT_CALL_TIMEOUTS } from '../../machines/callTypes.js';
import {
  DELAY_TIMEOUTS,
  PATH_INPUT,
  allStates,
  callLifecyclePaths,
  coverage,
  eventLabel,
  eventSource,
  hangUpStates,
  invokingStates,
  modelledFailures,
  reachablePairs,
  stateKey,
  timeoutsForPath,
  visitedStates,
  type CallPath,
} from '../support/callMachinePaths.js';
import { createCallHarness, type CallHarness } from './callMachineHarness.js';

const paths = callLifecyclePaths();
const cover = callLifecyclePaths({ simple: false });
const invokedIn = invokingStates();

/** Fails with the list of what is missing, so a gap in the model reads at once. */
function expectNothingMissing(what: string, missing: string[]) {
  expect(missing, `${what} missing: ${missing.join(', ')}`).toEqual([]);
}

/**
 * Every promise run the machine no longer waits for has been aborted, every one it waits for has not; the
 * conversation runs exactly while the call is streaming.
 */
function expectActorsMatchState(h: CallHarness, where: string) {
  const state = stateKey(h.actor.getSnapshot().value);
  const active = (dotted: string) => state === dotted || state.startsWith(`${dotted}.`);
  for (const run of h.invocations) {
    if (run.settled) continue;
    const invoker = invokedIn.get(run.actorId);
    expect(run.signal.aborted, `${where}: ${run.actorId} aborted while in ${state}`).toBe(!invoker || !active(invoker));
  }
  const running = h.conversationRuns.filter((r) => !r.stopped && !r.failed).length;
  expect(running, `${where}: conversation runs in ${state}`).toBe(active('streaming') ? 1 : 0);
}

/** Produces the step's event the way it happens for real: an actor settles, a timer fires, or a message arrives. */
async function play(h: CallHarness, path: CallPath, index: number) {
  const step = path.steps[index];
  if (!step) throw new Error(`no step ${index}`);
  const source = eventSource(step.event);
  switch (source.kind) {
    case 'external':
      return h.send(source.event);
    case 'actor-done':
      return h.resolve(source.actorId, source.output);
    case 'actor-error':
      // The conversation is a callback actor: it fails by throwing, not by rejecting.
      return source.actorId === 'conversation' ? h.failConversation(source.error) : h.reject(source.actorId, source.error);
    case 'delay': {
      const key = DELAY_TIMEOUTS[source.delay];
      if (!key) throw new Error(`no timeout for ${source.delay}`);
      return h.advance(timeoutsForPath(path)[key]);
    }
  }
}

async function replay(path: CallPath) {
  const h = createCallHarness({ input: PATH_INPUT, timeouts: timeoutsForPath(path) });
  h.actor.start();
  expect(stateKey(h.actor.getSnapshot().value)).toBe('connecting');
  expectActorsMatchState(h, 'start');
  for (let i = 0; i < path.steps.length; i++) {
    const step = path.steps[i];
    if (!step) continue;
    const where = `step ${i + 1} (${step.fromState} -[${eventLabel(step.event)}]->)`;
    expect(stateKey(h.actor.getSnapshot().value), `${where}: arrives in`).toBe(step.fromState);
    await play(h, path, i);
    expect(h.actor.getSnapshot().value, `${where}: state after`).toEqual(step.expectedStateValue);
    expectActorsMatchState(h, where);
  }
  const snapshot = h.actor.getSnapshot();
  expect(snapshot.status).toBe('done');
  expect(snapshot.value).toBe(path.final);
  expect(snapshot.output?.outcome).toBe(path.expectedOutcome);
  expect(snapshot.output?.endReason).toBe(path.expectedEndReason);
  expect(snapshot.output?.leadId).toBe(PATH_INPUT.leadId);
  expect(snapshot.context.failureReason !== null).toBe(path.expectsFailureReason);
  if (path.final === 'handed-off') {
    // Another instance runs the call: nothing is written here after the webhook's first phase, no reason, no lead.
    expect(snapshot.output?.reason).toBeNull();
    expect(h.phases()).toEqual(['connecting']);
    return;
  }
  // A saved failure (or a lead held for review) always says why; a success never carries a reason.
  if (path.final !== 'saved-success') expect(snapshot.output?.reason).toEqual(expect.any(String));
  else expect(snapshot.output?.reason).toBeNull();
  expect(h.phases().at(-1)).toBe(path.final);
  // Persisted phases follow the top-level states the path went through, once each.
  const tops = ['connecting', ...path.steps.map((s) => s.expectedState.split('.')[0] ?? '')];
  expect(h.phases()).toEqual(tops.filter((t, i) => t !== tops[i - 1]));
}

describe('call machine paths: coverage', () => {
  it('generates a transition cover and the simple paths, without duplicates', () => {
    expect(cover.length).toBeGreaterThan(100);
    expect(paths.length).toBeGreaterThan(cover.length);
    const keys = paths.map((p) => p.steps.map((s) => JSON.stringify(s.event)).join('>'));
    expect(new Set(keys).size).toBe(keys.length);
    for (const path of paths) expect(['saved-success', 'saved-failure', 'saved-review', 'handed-off']).toContain(path.final);
  });

  it('visits every state of the machine, substates included', () => {
    const visited = visitedStates(paths);
    expectNothingMissing('states', allStates().filter((s) => !visited.has(s)));
    const visitedByCover = visitedStates(cover);
    expectNothingMissing('states (transition cover)', allStates().filter((s) => !visitedByCover.has(s)));
  });

  it('has a caller hang-up from every state where one can arrive', () => {
    for (const set of [coverage(paths), coverage(cover)]) {
      expectNothingMissing('hang-ups from', hangUpStates().filter((s) => !set.has(`${s}|CALLER_HUNG_UP`)));
    }
  });

  it('has every modelled failure: each handled actor error and each delay', () => {
    const failures = modelledFailures();
    expect(failures).toEqual(
      expect.arrayContaining([
        'error:connectModel',
        'error:conversation',
        'error:awaitTranscript',
        'error:extractLead',
        'error:acceptLead',
        'error:deliverLead',
        'error:spoolLead',
        ...Object.keys(DELAY_TIMEOUTS).map((d) => `after:${d}`),
      ]),
    );
    for (const set of [coverage(paths), coverage(cover)]) {
      const events = new Set([...set].map((pair) => pair.split('|')[1]));
      expectNothingMissing('failures', failures.filter((f) => !events.has(f)));
    }
  });

  it('replays every (state, event) pair the traversal can take', () => {
    const taken = coverage(cover);
    expectNothingMissing('pairs', [...reachablePairs()].filter((p) => !taken.has(p)));
  });

  it('ends in every outcome and every end reason', () => {
    expect(new Set(paths.map((p) => p.expectedOutcome))).toEqual(new Set(['succeeded', 'failed', 'review', 'lost', 'handed-off']));
    // A call handed off to another instance ends here without an end reason (its conversation happens there).
    expect(new Set(paths.map((p) => p.expectedEndReason))).toEqual(
      new Set(['goodbye', 'caller-hangup', 'stream-never-started', 'model-failure', 'max-duration', null]),
    );
    for (const path of paths) expect(path.expectedEndReason === null, path.description).toBe(path.final === 'handed-off');
  });

  it('maps each named delay to the timeout the machine reads', () => {
    const delays = callMachine.implementations.delays as Record<string, (args: unknown) => number>;
    expectNothingMissing('delay mappings', Object.keys(delays).filter((d) => !(d in DELAY_TIMEOUTS)));
    const context = { timeouts: DEFAULT_CALL_TIMEOUTS };
    for (const [delay, key] of Object.entries(DELAY_TIMEOUTS)) {
      expect(delays[delay]?.({ context, event: { type: 'x' } }), delay).toBe(DEFAULT_CALL_TIMEOUTS[key]);
    }
  });

  it('describes paths readably', () => {
    const goodbye = paths.find((p) => p.expectedEndReason === 'goodbye' && p.final === 'saved-success' && p.description.includes('deliverLead'));
    expect(goodbye?.description).toMatch(
      /^connecting .*-\[GOODBYE\]-> streaming\.closing -\[GOODBYE_PLAYED\]-> awaiting-transcript .*-\[done:acceptLead\(pending\)\]-> submitting\.delivering -\[done:deliverLead\(succeeded\)\]-> saved-success$/,
    );
  });
});

describe('call machine paths: replayed on a real actor with fake actors and a simulated clock', () => {
  it.each(paths.map((p) => [p.description, p] as const))('%s', async (_, path) => {
    await replay(path);
  });
});
