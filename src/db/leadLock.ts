import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Serializes, for the rest of `em`'s transaction, every writer of one lead id (accepting it, approving or rejecting
 * its review): a transaction-scoped advisory lock on the id, so two of them cannot both find the lead where it was.
 * Every such writer must take it through here, so they all lock the same key.
 */
export async function lockLead(em: EntityManager, leadId: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [leadId]);
}
