import type { EntityManager } from '@mikro-orm/postgresql';
import type { Repositories } from '../db/repositories.js';
import type { LeadField } from '../leads/lead.js';

/** Where a lead stands. `pending` leads are in the outbox and will be (re)sent by a worker. */
export type LeadState =
  | { status: 'pending'; attempts: number; lastError: string | null }
  | { status: 'succeeded' }
  | { status: 'failed'; reason: string }
  /** Held for a person: its witnesses disagree on these fields (no outbox row until it is approved). */
  | { status: 'review'; disputed: LeadField[] }
  | { status: 'absent' };

/**
 * Where the lead stands in `em`'s view: its succeeded row, a pending outbox row, its failed row, a review that holds
 * it, its finished outbox row, else absent.
 */
export async function leadStateIn(repos: Repositories, em: EntityManager, id: string): Promise<LeadState> {
  // A succeeded row wins (a failed row may be resolved by it); then a pending outbox row; then the failed row.
  if (await repos.succeeded.exists(em, id)) return { status: 'succeeded' };
  const outbox = await repos.outbox.status(em, id);
  if (outbox?.status === 'pending') return { status: 'pending', attempts: outbox.attempts, lastError: outbox.lastError };
  const failed = await repos.failed.find(em, id);
  if (failed) return { status: 'failed', reason: failed.errorMessage };
  const decision = await repos.decisions.find(em, id);
  if (decision?.review === 'held') return { status: 'review', disputed: decision.disputed };
  if (outbox) return outbox.status === 'succeeded' ? { status: 'succeeded' } : { status: 'failed', reason: outbox.lastError ?? 'failed' };
  return { status: 'absent' };
}
