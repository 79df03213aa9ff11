import { expect } from 'vitest';
import type { CallOutput } from '../../machines/callTypes.js';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import type { Script } from '../../src/fakes/fakeOpenAI.js';
import type { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import type { Lead } from '../../src/leads/lead.js';
import type { ReliabilityConfig } from '../../src/outbox/reliabilityConfig.js';
import { ROUTES } from '../../src/http/routes.js';
import type { TestDatabase } from '../support/testDatabase.js';
import { eventually, postForm } from '../security/signedLab.js';

/** Short timeouts so faults resolve in a test's time; the outbox retries quickly and gives up after two passes. */
export const FAULT_ENV: Record<string, string> = {
  NPA_TIMEOUT_MS: '400',
  NPA_TIMEOUT_MAX_MS: '400',
  // The faults follow each other on one server: a circuit opened by one test's failures must let the next probe soon.
  NPA_BREAKER_COOLDOWN_MS: '200',
  NPA_MAX_ATTEMPTS: '2',
  EXTRACTION_TIMEOUT_MS: '1500',
  SUBMISSION_TIMEOUT_MS: '10000',
  TRANSCRIPT_WAIT_MS: '500',
  MODEL_CONNECT_TIMEOUT_MS: '2000',
  PREWARM_TTL_MS: '1500',
  GOODBYE_PLAYBACK_TIMEOUT_MS: '1000',
};
export const FAULT_RELIABILITY: Partial<ReliabilityConfig> = { OUTBOX_MAX_ATTEMPTS: 2, OUTBOX_RETRY_BASE_MS: 100, OUTBOX_POLL_MS: 50 };

/** The real server and the fakes on a test database, with the fault timeouts. */
export function startFaultLab(database: TestDatabase, env: Record<string, string> = {}): Promise<VoiceLab> {
  return startVoiceLab({
    env: { ...database.env, ...FAULT_ENV, ...env },
    logger: database.logger,
    overrides: { db: database.db, reliability: FAULT_RELIABILITY },
  });
}

export interface FinalRow {
  outcome: 'succeeded' | 'failed';
  reason: string | null;
  lead: Lead;
}

/**
 * Waits (with a deadline) for the lead's final row and checks it is the only one: exactly one succeeded or failed
 * row for this lead id, never both. Asserts on rows, not on how fast they were written.
 */
export async function finalRow(lab: VoiceLab, leadId: string, timeoutMs = 15_000): Promise<FinalRow> {
  const row = await eventually<FinalRow>(
    async () => {
      const succeeded = await lab.app.repos.succeeded.get(leadId);
      if (succeeded) return { outcome: 'succeeded', reason: null, lead: succeeded.leadData };
      const failed = await lab.app.repos.failed.get(leadId);
      if (failed) return { outcome: 'failed', reason: failed.errorMessage, lead: failed.leadData };
      return undefined;
    },
    `the final row of lead ${leadId}`,
    timeoutMs,
  );
  const both = (await lab.app.repos.succeeded.get(leadId)) !== null && (await lab.app.repos.failed.get(leadId)) !== null;
  expect(both, 'a lead is never both succeeded and failed').toBe(false);
  return row;
}

/** Waits for the call's session row to record this outcome. */
export async function sessionState(lab: VoiceLab, callSid: string, outcome: 'succeeded' | 'failed'): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const session = await lab.app.repos.sessions.getByKey(callSid);
      return session?.state.outcome === outcome ? session.state : undefined;
    },
    `session ${callSid} outcome ${outcome}`,
  );
}

/** What Twilio gets from `<Connect action>` once the stream closed. */
export async function afterStreamTwiml(lab: VoiceLab, callSid: string): Promise<string> {
  return (await postForm(lab, ROUTES.afterStream, { CallSid: callSid, CallStatus: 'in-progress' })).body;
}

/** Places a scripted call and waits for its outcome. */
export function placeCall(
  lab: VoiceLab,
  callSid: string,
  script: Script,
  from = '+14045550111',
): Promise<{ output: CallOutput; caller: FakeTwilioCaller; twiml: string }> {
  return placeScriptedCall(lab, { callSid, from, script });
}

/** The sample lead (public-01) as it is saved. */
export const SAMPLE_LEAD = {
  full_name: 'John Carter',
  zip_code: '30093',
  phone: '+14045550111',
  vehicle_year: 2019,
  vehicle_make: 'Harley-Davidson',
  vehicle_model: 'Street Glide',
};
