import { afterEach, describe, expect, it } from 'vitest';
import { LiveCalls, type LiveCall } from '../../src/admin/liveCalls.js';
import type { Extraction, LeadOutcome } from '../../machines/callTypes.js';
import { createCallHarness, EMPTY_READING, TEST_INPUT } from '../machines/callMachineHarness.js';

const EXTRACTION: Extraction = { result: EMPTY_READING, source: 'offline', offline: EMPTY_READING, disagreements: [], decision: null };
const PENDING: LeadOutcome = { outcome: 'failed', leadId: TEST_INPUT.leadId, pending: true, reason: 'submission pending' };
const SUCCEEDED: LeadOutcome = { outcome: 'succeeded', leadId: TEST_INPUT.leadId };

/** The live view's source, fed by the real call machine's inspection events. */
describe('LiveCalls', () => {
  let live: LiveCalls;
  afterEach(() => live?.stop());

  const waitFor = async (predicate: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(predicate()).toBe(true);
  };

  it('follows a call from connecting to saved-success: its path, its captured fields, its last events', async () => {
    live = new LiveCalls({ flushMs: 1 });
    const heard: LiveCall[] = [];
    live.subscribe((call) => heard.push(call));
    const h = createCallHarness({ inspect: live.inspect });
    h.actor.start();
    expect(live.list().map((c) => [c.callSid, c.state, c.status])).toEqual([['CA-test', 'connecting', 'active']]);

    await h.send({ type: 'STREAM_STARTED', streamSid: 'MZ1' });
    await h.resolve('connectModel');
    expect(live.get('CA-test')?.state).toBe('streaming.conversing');
    h.conversationRuns[0]?.sendBack({ type: 'FIELD_CAPTURED', field: 'zip_code', captured: { value: '30301', at: '2026-12-01T10:00:00.000Z', attempts: 2 } });
    expect(live.get('CA-test')?.captured).toEqual({ zip_code: { value: '30301', at: '2026-12-01T10:00:00.000Z', attempts: 2 } });
    h.conversationRuns[0]?.sendBack({ type: 'GOODBYE', via: 'tool' });
    await h.send({ type: 'GOODBYE_PLAYED' });
    await h.resolve('awaitTranscript', []);
    await h.resolve('extractLead', EXTRACTION);
    await h.resolve('acceptLead', PENDING);
    await h.resolve('deliverLead', SUCCEEDED);

    const call = live.get('CA-test');
    expect(call?.state).toBe('saved-success');
    expect(call?.status).toBe('done');
    expect(call?.outcome).toBe('succeeded');
    expect(call?.endedAt).not.toBeNull();
    expect(call?.callerPhone).toBe(TEST_INPUT.callerPhone);
    expect(call?.path).toEqual([
      'connecting',
      'streaming.conversing',
      'streaming.closing',
      'awaiting-transcript',
      'extracting',
      'submitting.accepting',
      'submitting.delivering',
      'saved-success',
    ]);
    // Event types only, the machine's own internal events left out.
    expect(call?.lastEvents.map((e) => e.type)).toEqual(['STREAM_STARTED', 'FIELD_CAPTURED', 'GOODBYE', 'GOODBYE_PLAYED']);
    // Listeners hear the changed call (coalesced), the last time in its final state.
    await waitFor(() => heard.at(-1)?.state === 'saved-success');
    expect(heard.length).toBeLessThan(20);
  });

  it('forgets ended calls after keepDoneMs, and keeps at most maxDone of them', async () => {
    let now = new Date('2026-12-01T10:00:00.000Z');
    live = new LiveCalls({ flushMs: 1, keepDoneMs: 60_000, maxDone: 1, now: () => now });
    for (const callSid of ['CA-a', 'CA-b']) {
      const h = createCallHarness({ input: { ...TEST_INPUT, callSid, leadId: `lead-${callSid}` }, inspect: live.inspect });
      h.actor.start();
      // The caller hangs up before anything: no transcript, no lead to extract.
      await h.send({ type: 'STREAM_STARTED', streamSid: `MZ-${callSid}` });
      await h.resolve('connectModel');
      await h.send({ type: 'CALLER_HUNG_UP' });
      await h.resolve('awaitTranscript', []);
      await h.resolve('extractLead', EXTRACTION);
      await h.resolve('acceptLead', SUCCEEDED);
      expect(live.get(callSid)?.status).toBe('done');
      now = new Date(now.getTime() + 1_000);
    }
    const active = createCallHarness({ input: { ...TEST_INPUT, callSid: 'CA-live', leadId: 'lead-live' }, inspect: live.inspect });
    active.actor.start();
    // One ended call kept (the latest), the live one always.
    expect(live.list().map((c) => c.callSid).sort()).toEqual(['CA-b', 'CA-live']);
    now = new Date(now.getTime() + 2 * 60_000);
    expect(live.list().map((c) => c.callSid)).toEqual(['CA-live']);
  });

  it('never throws into the call for an event it cannot read', () => {
    live = new LiveCalls();
    expect(() => live.inspect({ type: '@xstate.snapshot', actorRef: null, rootId: 'x', snapshot: null } as never)).not.toThrow();
    expect(live.list()).toEqual([]);
  });
});
