import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { OutboxRepository, OutboxRow } from '../db/outboxRepository.js';

/** A running lease renewal; `stop()` when the pass has recorded its outcome. */
export interface LeaseRenewal {
  stop(): void;
}

/**
 * Keeps a claimed row's lease alive while its pass runs: every third of the lease it is extended to a full lease
 * from now, so a lease can be short (a dead process's claim frees up soon) however long the request takes. Stops
 * on its own when the claim turns out to be someone else's (we were taken for dead); a failed renewal is logged and
 * tried again at the next tick.
 */
export function renewLease(outbox: OutboxRepository, row: OutboxRow, leaseMs: number, logger: Logger): LeaseRenewal {
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    outbox
      .renew(row, leaseMs)
      .then((ours) => {
        if (ours) return;
        clearInterval(timer);
        logger.warn({ leadId: row.id }, 'outbox claim taken over by another instance; this pass goes on under the same key');
      })
      .catch((error: unknown) => logger.warn({ leadId: row.id, err: reasonOf(error) }, 'outbox lease renewal failed'))
      .finally(() => (renewing = false));
  }, Math.max(1, Math.floor(leaseMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
