import type { Logger } from '../../src/log.js';
import type { Database } from '../../src/db/orm.js';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import type { NpaClient } from '../../src/npa/npaClient.js';
import { LeadIntake } from '../../src/outbox/leadIntake.js';
import { LeadOutbox, type OutboxOptions } from '../../src/outbox/leadOutbox.js';
import type { LeadSpool } from '../../src/outbox/leadSpool.js';

/** A test lease: long enough for any test's NPA round trip (the server's is OUTBOX_LEASE_MS, renewed while a pass runs). */
export const TEST_LEASE_MS = 60_000;

/** The lead road over a test database, built the way the app builds it: repositories, outbox, intake. */
export function leadStack(
  db: Database,
  npa: NpaClient,
  logger: Logger,
  options: Partial<OutboxOptions> & { spool?: LeadSpool | null } = {},
): { repos: Repositories; outbox: LeadOutbox; intake: LeadIntake } {
  const repos = createRepositories(db);
  const { spool = null, ...outboxOptions } = options;
  const outbox = new LeadOutbox({ repos, npa, logger }, { leaseMs: TEST_LEASE_MS, ...outboxOptions });
  return { repos, outbox, intake: new LeadIntake({ repos, outbox, spool, logger }) };
}
