import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import { readVoiceState } from '../../src/db/entities/sessionState.js';
import type { Repositories } from '../../src/db/repositories.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import type { LeadIntake } from '../../src/outbox/leadIntake.js';
import type { LeadOutbox } from '../../src/outbox/leadOutbox.js';
import { RECOVERY_REASON } from '../../src/leads/problems.js';
import { sweepAbandonedCalls } from '../../src/outbox/recoverySweep.js';
import { leadStack } from '../support/leadStack.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const GRACE_MS = 15_000;

let t: TestDatabase;
let npa: FakeNpa;
let repos: Repositories;
let intake: LeadIntake;
let outbox: LeadOutbox;

beforeAll(async () => {
  [t, npa] = await Promise.all([createTestDatabase(), startFakeNpa({ username: 'u', password: 'p' })]);
  const client = createNpaClient({ url: npa.url, username: 'u', password: 'p', logger: t.logger, maxAttempts: 1 });
  ({ repos, intake, outbox } = leadStack(t.db, client, t.logger));
});
afterAll(async () => {
  await Promise.all([t?.close(), npa?.close()]);
});

/** A call left in `streaming` by `instanceId` (none: a row from before instances), last written `idleMs` ago. */
async function openCall(instanceId: string | null, idleMs: number): Promise<string> {
  const callSid = `CA${randomUUID().replaceAll('-', '')}`;
  await repos.sessions.open({
    channel: 'voice',
    sessionKey: callSid,
    state: {
      phase: 'streaming',
      callSid,
      leadId: randomUUID(),
      callerPhone: '+14045550111',
      transcript: [{ role: 'user', text: 'My name is Pat Example' }],
      ...(instanceId === null ? {} : { instanceId }),
    },
  });
  await t.db.em().execute(`update conversation_sessions set updated_at = now() - (? * interval '1 millisecond') where session_key = ?`, [idleMs, callSid]);
  return callSid;
}

async function ageInstance(id: string, heartbeatAgoMs: number): Promise<void> {
  await t.db.em().execute(`update instances set heartbeat_at = now() - (? * interval '1 millisecond') where id = ?`, [heartbeatAgoMs, id]);
}

const phaseOf = async (callSid: string) => readVoiceState((await repos.sessions.getByKey(callSid))?.state).phase;

describe('sweepAbandonedCalls', () => {
  it('takes over what its process left, by whose process it was and whether that process lives', async () => {
    // A previous run of "me" left a call a moment before "me" (the same INSTANCE_ID) started again.
    await repos.instances.register('me');
    const previousRun = await openCall('me', 1_000);
    await repos.instances.register('me');
    await repos.instances.register('alive');
    await repos.instances.register('stale');
    await ageInstance('stale', GRACE_MS + 5_000);
    await repos.instances.register('stopped');
    await repos.instances.stop('stopped');

    const calls = {
      staleFresh: await openCall('stale', 0),
      stoppedFresh: await openCall('stopped', 0),
      previousRun,
      aliveIdle: await openCall('alive', 10 * GRACE_MS),
      mineIdle: await openCall('me', GRACE_MS + 5_000),
      mineIdleLive: await openCall('me', GRACE_MS + 5_000),
      mineFresh: await openCall('me', 0),
      unknownIdle: await openCall('never-registered', GRACE_MS + 5_000),
      unknownFresh: await openCall('never-registered', 1_000),
      legacyIdle: await openCall(null, GRACE_MS + 5_000),
    };
    const live = new Set([calls.mineIdleLive]);
    const recovered = await sweepAbandonedCalls(
      { repos, intake, logger: t.logger },
      { instanceId: 'me', graceMs: GRACE_MS, isLive: (key) => live.has(key) },
    );

    const phases = Object.fromEntries(await Promise.all(Object.entries(calls).map(async ([name, sid]) => [name, await phaseOf(sid)] as const)));
    expect(phases).toEqual({
      // Its instance is dead: at once, however recently it was written.
      staleFresh: 'recovered',
      stoppedFresh: 'recovered',
      // This instance id's previous run: at once.
      previousRun: 'recovered',
      // Another live instance looks after its own calls, however quiet.
      aliveIdle: 'streaming',
      // This run's own: once idle past the grace, unless the call is live here.
      mineIdle: 'recovered',
      mineIdleLive: 'streaming',
      mineFresh: 'streaming',
      // No known instance: idle past the grace, as before instances.
      unknownIdle: 'recovered',
      unknownFresh: 'streaming',
      legacyIdle: 'recovered',
    });
    expect(recovered).toBe(6);
    // Each became a lead under the call's own lead id (incomplete here: a failed lead saying why).
    const leadId = readVoiceState((await repos.sessions.getByKey(calls.staleFresh))?.state).leadId!;
    expect(await outbox.state(leadId)).toMatchObject({ status: 'failed', reason: expect.stringContaining(RECOVERY_REASON) });
  });
});
