import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { finalRow, placeCall, SAMPLE_LEAD, startFaultLab } from '../faults/faultLab.js';
import { sampleCall } from '../security/sampleCall.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * A call whose last session writes were lost (the database blinked) after its lead was delivered: its session still
 * says it is streaming, with no transcript, long after the call ended. The recovery sweep must not rebuild a lead
 * out of that stale state (a "missing all six fields" failed row beside the succeeded one, the session flipped to
 * failed): the lead stands, and the session gets the final phase it missed.
 */
describe('recovery sweep and a delivered lead with a stale session', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startFaultLab(database);
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('leaves the delivered lead alone and writes the final phase the session missed', async () => {
    const callSid = 'CAstale000000000000000000000000001';
    const { output } = await placeCall(lab, callSid, scriptFromTranscript(sampleCall()));
    expect((await finalRow(lab, output.leadId)).outcome).toBe('succeeded');
    // The session as it stood before its final writes: a live phase, nothing gathered, idle past the grace.
    await database.db.em().execute(
      `update conversation_sessions set state = jsonb_build_object('phase', 'streaming', 'callSid', session_key, 'leadId', ?::text, 'transcript', '[]'::jsonb),
         updated_at = now() - interval '1 hour' where session_key = ?`,
      [output.leadId, callSid],
    );
    await lab.app.maintain();

    expect(await lab.app.repos.failed.list({ includeResolved: true })).toEqual([]);
    const succeeded = await lab.app.repos.succeeded.list();
    expect(succeeded.map((row) => row.id)).toEqual([output.leadId]);
    expect(succeeded[0]?.leadData).toEqual(SAMPLE_LEAD);
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session?.state).toMatchObject({ phase: 'saved-success' });
    expect(session?.state).not.toHaveProperty('recovery');
    expect(session?.state).not.toMatchObject({ outcome: 'failed' });
    // A second sweep finds nothing to do.
    await lab.app.maintain();
    expect(await lab.app.repos.failed.list({ includeResolved: true })).toEqual([]);
  });
});
