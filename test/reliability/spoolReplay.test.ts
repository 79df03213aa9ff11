// Leads the database answers for but refuses, through the real server on the real PostgreSQL: a data error is a
// failed lead with the reason, never a spooled one (the database is up; a replay would fail the same way forever).
// The refusals are real: a trigger on the test database raises the SQLSTATE (test/support/leadRefusals.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { ROUTES } from '../../src/http/routes.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { LeadRefusals } from '../support/leadRefusals.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { eventually } from './serverProcess.js';

const REFUSED = 'the database refused the lead (database error: DriverException (SQLSTATE 22P05))';

let database: TestDatabase;
let refusals: LeadRefusals;
let lab: VoiceLab;

beforeAll(async () => {
  database = await createTestDatabase();
  refusals = await LeadRefusals.install(database.db);
  lab = await startVoiceLab({
    env: { ...database.env, NPA_MAX_ATTEMPTS: '1', TRANSCRIPT_WAIT_MS: '300' },
    logger: database.logger,
    overrides: { db: database.db, reliability: { RECOVERY_SWEEP_MS: 3_600_000, OUTBOX_POLL_MS: 200 } },
  });
}, 60_000);

afterAll(async () => {
  await lab?.close();
  await database?.close();
});

const spool = () => new LeadSpool(database.dataDir, database.logger);

describe('a lead the database refuses for its data', { timeout: 60_000 }, () => {
  it('from a call: saved as a failed lead with the reason, not spooled, not sent', async () => {
    const callSid = 'CAdata0000000000000000000000000001';
    await refusals.refuse(callSid, 'lead_outbox', 1_000, 0, false, '22P05');
    const conversation = sampleConversation('public-01.json');
    const { output } = await placeScriptedCall(lab, { callSid, from: conversation.callerPhone ?? '', script: scriptFromTranscript(conversation) });
    expect(output).toMatchObject({ outcome: 'failed', reason: REFUSED, endReason: 'goodbye' });
    const failed = await lab.app.repos.failed.get(output.leadId);
    expect(failed).toMatchObject({ errorMessage: REFUSED, channel: 'voice', attempts: 0, leadData: { full_name: 'John Carter', zip_code: '30093' } });
    const session = await eventually(async () => {
      const row = await lab.app.repos.sessions.getByKey(callSid);
      return row?.state['phase'] === 'saved-failure' ? row : undefined;
    }, 5_000, 'the final phase');
    expect(session.state).toMatchObject({ outcome: 'failed', reason: REFUSED, leadId: output.leadId });
    expect((session.state['transcript'] as unknown[]).length).toBe(13);
    expect((session.state as Record<string, unknown>)['spooled']).toBeUndefined();
    expect(await spool().isEmpty()).toBe(true);
    expect(lab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId)).toHaveLength(0);
  });

  it('from an SMS conversation: the texter gets the closing reply, the lead is a failed lead, nothing spooled', async () => {
    const phone = '+14075550129';
    await refusals.refuse(phone, 'lead_outbox', 1_000, 0, false, '22P05');
    let reply = '';
    for (const body of ['hi', 'Tom Becker', '32801', 'use this number', '2014 Suzuki V-Strom 650', 'yes']) {
      const response = await fetch(`${lab.app.url}${ROUTES.sms}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ From: phone, Body: body, MessageSid: 'SM0001', To: '+18005550100' }),
      });
      expect(response.status).toBe(200);
      reply = await response.text();
    }
    expect(reply).toContain('someone from our team will follow up');
    const leadId = String((await lab.app.repos.sessions.getByKey(phone))?.state['leadId']);
    expect(await lab.app.repos.failed.get(leadId)).toMatchObject({ errorMessage: REFUSED, channel: 'sms', leadData: { full_name: 'Tom Becker' } });
    expect(await spool().isEmpty()).toBe(true);
  });
});
