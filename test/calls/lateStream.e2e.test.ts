import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * The greeting is asked for before Twilio's stream is up (issue 14) and held; a stream that comes late must still
 * carry the whole conversation. Before the fake model waited for caller audio, it ran the script with none while the
 * stream was not there: the goodbye came while the call was still connecting and the call never ended (this was
 * also the crash test's rare timeout, and the two-instance test's stuck calls).
 */
describe('a stream that comes after the early greeting', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });
  for (const delay of [0, 50, 300, 1000]) {
    it(`carries the whole call when it opens ${delay} ms after the webhook`, async () => {
      const conversation = sampleConversation('public-01.json');
      const callSid = `CAheld${String(delay).padStart(29, '0')}`;
      lab.openai.enqueueScript(scriptFromTranscript(conversation));
      await lab.webhook(callSid, conversation.callerPhone ?? '+14045550111');
      await new Promise((r) => setTimeout(r, delay));
      const caller = await lab.connectCaller(callSid, conversation.callerPhone ?? '+14045550111', { realTime: false });
      caller.startStreaming();
      const output = await lab.outcomeOf(callSid);
      expect(output).toMatchObject({ outcome: 'succeeded', endReason: 'goodbye' });
    });
  }
});
