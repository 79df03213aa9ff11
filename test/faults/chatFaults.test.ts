import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript, type ChatMode } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sampleCall } from '../security/sampleCall.js';
import { finalRow, placeCall, SAMPLE_LEAD, sessionState, startFaultLab } from './faultLab.js';

/**
 * Chat Completions (the LLM extractor) fails on cue: the offline extractor takes over, the session records the LLM
 * error, and the caller's lead is still delivered.
 */
describe('fault injection: Chat Completions extraction', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  const script = scriptFromTranscript(sampleCall());

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startFaultLab(database);
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  const cases: Array<{ mode: ChatMode; callSid: string }> = [
    { mode: 'http-500', callSid: 'CAchat000000000000000000000000001' },
    { mode: 'timeout', callSid: 'CAchat000000000000000000000000002' },
    { mode: 'malformed-json', callSid: 'CAchat000000000000000000000000003' },
    { mode: 'schema-violation', callSid: 'CAchat000000000000000000000000004' },
  ];

  it.each(cases)('$mode: the offline reading is used, the LLM error is kept, one succeeded row', async ({ mode, callSid }) => {
    lab.openai.chatMode(mode);
    const requests = lab.openai.chatRequests.length;
    const { output, caller } = await placeCall(lab, callSid, script);
    expect(caller.received.media.length).toBeGreaterThan(0);
    expect(output.endReason).toBe('goodbye');
    expect(lab.openai.chatRequests.length).toBeGreaterThan(requests);
    const row = await finalRow(lab, output.leadId);
    expect(row).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    const state = await sessionState(lab, callSid, 'succeeded');
    expect(state.extraction).toMatchObject({ source: 'offline', complete: true });
    expect((state.extraction as { llmError: unknown }).llmError).toEqual(expect.any(String));
  });

  it('a working LLM: its reading is used and no error is recorded', async () => {
    lab.openai.chatMode('ok');
    const callSid = 'CAchat000000000000000000000000005';
    const { output } = await placeCall(lab, callSid, script);
    expect(await finalRow(lab, output.leadId)).toMatchObject({ outcome: 'succeeded', lead: SAMPLE_LEAD });
    const state = await sessionState(lab, callSid, 'succeeded');
    expect(state.extraction).toMatchObject({ source: 'llm', llmError: null });
  });

  it('an LLM that disagrees with the offline reading: the disagreement is kept in the session', async () => {
    lab.openai.chatMode('ok');
    lab.openai.setChatResponder(() => ({ ...SAMPLE_LEAD, zip_code: '30094', vehicle_year: '2019' }));
    const callSid = 'CAchat000000000000000000000000006';
    const { output } = await placeCall(lab, callSid, script);
    const row = await finalRow(lab, output.leadId);
    const state = await sessionState(lab, callSid, row.outcome);
    const disagreements = (state.extraction as { disagreements: Array<{ field: string }> }).disagreements;
    expect(disagreements.map((d) => d.field)).toContain('zip_code');
  });
});

/**
 * Calls that had no conversation: a signed-in webhook whose stream never starts. The LLM, asked anyway, would answer
 * with a lead out of nothing; it is not asked, and no lead of such a call reaches the NPA API.
 */
describe('fault injection: calls with no conversation', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startFaultLab(database, { PREWARM_TTL_MS: '300' });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('four webhooks whose stream never started: four failed leads, no LLM request, nothing sent to NPA', async () => {
    lab.openai.chatMode('ok');
    lab.openai.setChatResponder(() => SAMPLE_LEAD);
    const chatBefore = lab.openai.chatRequests.length;
    const callSids = [1, 2, 3, 4].map((n) => `CAsilent00000000000000000000000${n}`);
    const outputs = await Promise.all(
      callSids.map(async (callSid) => {
        const outcome = lab.outcomeOf(callSid);
        const hook = await lab.webhook(callSid, '+14045550123');
        expect(hook.status).toBe(200);
        return outcome;
      }),
    );
    for (const output of outputs) {
      expect(output).toMatchObject({ outcome: 'failed', endReason: 'stream-never-started' });
      expect(output.reason).toMatch(/^incomplete: the call audio never started; missing: /);
      expect((await finalRow(lab, output.leadId)).outcome).toBe('failed');
    }
    expect(lab.openai.chatRequests.length).toBe(chatBefore);
    expect(lab.npa.requests).toHaveLength(0);
    expect(await lab.app.repos.succeeded.list()).toHaveLength(0);
  });
});
