import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sampleConversation } from '../support/sharedTranscripts.js';

const sample = (name: string) =>
  sampleConversation(name);

describe('a complete call through the real server', () => {
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

  it('ends as a succeeded lead with the NPA request the fake received', async () => {
    const call = sample('public-01.json');
    const { output, caller, twiml } = await placeScriptedCall(lab, {
      callSid: 'CAe2e00000000000000000000000000001',
      from: call.callerPhone ?? '',
      script: scriptFromTranscript(call),
    });
    expect(twiml).toContain('<Stream url="ws://127.0.0.1');
    expect(output.outcome).toBe('succeeded');
    expect(output.endReason).toBe('goodbye');
    expect(caller.received.media.length).toBeGreaterThan(0);

    const succeeded = await lab.app.repos.succeeded.list();
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?.leadData).toMatchObject({
      full_name: 'John Carter',
      zip_code: '30093',
      phone: '+14045550111',
      vehicle_year: 2019,
      vehicle_make: 'Harley-Davidson',
      vehicle_model: 'Street Glide',
    });
    expect(await lab.app.repos.failed.list()).toHaveLength(0);
    expect(lab.npa.requests).toHaveLength(1);
    expect(lab.npa.requests[0]?.body).toMatchObject({ first_name: 'John', last_name: 'Carter', external_id: 'CAe2e00000000000000000000000000001', channel: 'voice' });
    expect(lab.npa.requests[0]?.headers['idempotency-key']).toBe(output.leadId);

    const session = await lab.app.repos.sessions.getByKey('CAe2e00000000000000000000000000001');
    expect(session?.state).toMatchObject({ phase: 'saved-success', outcome: 'succeeded', endReason: 'goodbye' });
    expect((session?.state as { transcript: unknown[] }).transcript).toHaveLength(call.turns.length);
  });
});
