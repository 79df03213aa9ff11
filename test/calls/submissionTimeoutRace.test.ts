import { expect, it } from 'vitest';
import { startFakeNpa } from '../../src/fakes/fakeNpa.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { leadStack } from '../support/leadStack.js';
import { callLifecyclePaths } from '../support/callMachinePaths.js';
import { LeadRefusals } from '../support/leadRefusals.js';
import { startNpaRouter } from '../support/npaRouter.js';
import { planForServer } from '../support/pathStimuli.js';
import { replayThroughServer } from '../support/replayThroughServer.js';
import { createTestDatabase } from '../support/testDatabase.js';

/** A complete call (the caller says the lead before the goodbye) whose lead write outlasts DB_WRITE_TIMEOUT. */
const PATH_END =
  '-[GOODBYE_PLAYED]-> awaiting-transcript -[done:awaitTranscript]-> extracting -[done:extractLead]-> ' +
  'submitting.accepting -[after:DB_WRITE_TIMEOUT]-> submitting.spooling -[done:spoolLead(pending)]-> saved-failure';

/**
 * Regression: the database write deadline fires while the lead's outbox insert is still in flight, and the insert
 * then lands. The call has spooled the lead too; replaying the spool must find the lead where it stands instead of
 * recording it a second time (a failed row beside the outbox's succeeded one, once).
 */
it('a write deadline during the outbox insert that then lands leaves the lead with exactly one row', async () => {
  const database = await createTestDatabase();
  const router = await startNpaRouter();
  const npa = await startFakeNpa({ username: 'u', password: 'p' });
  try {
    const refusals = await LeadRefusals.install(database.db);
    const paths = callLifecyclePaths({ simple: false });
    const index = paths.findIndex((p) => p.description.endsWith(PATH_END) && p.description.includes('-[GOODBYE]->'));
    const path = paths[index];
    if (path === undefined) throw new Error('path not generated');
    const planned = planForServer(path, index);
    if (!planned.replayable) throw new Error('path not replayable');
    // The database holds the outbox insert for 2 s, past the call's write deadline, and then lets it land.
    const plan = { ...planned.plan, npaMode: 'ok' as const, refusals: [{ table: 'lead_outbox' as const, count: 1, delayMs: 2_000 }] };
    const replay = await replayThroughServer(path, plan, { database, refusals, npaRouter: router, callSid: `CArace${Date.now()}` });
    expect(replay.output.reason).toMatch(/^submission pending: database unavailable/);

    // Once the held insert has landed, a worker (the lab's own, or this extra pass) finishes the lead.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const npaClient = createNpaClient({ url: npa.url, username: 'u', password: 'p', logger: database.logger, maxAttempts: 1 });
    const { outbox } = leadStack(database.db, npaClient, database.logger);
    for (const row of await outbox.claimDue(10)) await outbox.run(row);

    const leadId = replay.output.leadId;
    const rows = (await database.db
      .em()
      .getConnection()
      .execute(
        `select 'succeeded' as kind from succeeded_leads where id = ? union all select 'failed' from failed_leads where id = ?`,
        [leadId, leadId],
      )) as Array<{ kind: string }>;
    expect(rows.map((r) => r.kind)).toEqual(['succeeded']);
  } finally {
    await npa.close();
    await router.close();
    await database.close();
  }
}, 60_000);
