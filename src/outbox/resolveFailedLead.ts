import { BadInputError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import type { FailedLeadRecord } from '../db/failedLeadRepository.js';
import { isUuid } from '../db/isUuid.js';
import { lockLead } from '../db/leadLock.js';
import type { Repositories } from '../db/repositories.js';

export interface ResolveDeps {
  repos: Repositories;
  logger: Logger;
}

/** Longest note kept with a resolution. */
export const RESOLUTION_NOTE_MAX_CHARS = 2_000;

/**
 * Marks a failed lead resolved by hand (handled outside the line: phoned back, a duplicate, a prank) without
 * sending it: resolved_at, the note and who resolved it are set, and the action is audited in the same transaction.
 * NotFoundError for an unknown id; BadInputError for an empty note, a lead already resolved, or one whose retry is
 * under way (its outcome would race the resolution).
 */
export async function resolveFailedLead(deps: ResolveDeps, id: string, note: string, by: string): Promise<FailedLeadRecord> {
  const text = note.trim();
  if (text === '') throw new BadInputError('a resolution needs a note saying how the lead was handled');
  if (text.length > RESOLUTION_NOTE_MAX_CHARS) throw new BadInputError(`the note is too long (at most ${RESOLUTION_NOTE_MAX_CHARS} characters)`);
  if (by.trim() === '') throw new BadInputError('a resolution needs the name of who resolved it');
  if (!isUuid(id)) throw new NotFoundError(`no failed lead with id ${id}`);
  const { repos } = deps;
  await repos.db.em().transactional(async (em) => {
    // The same lock as every other writer of this lead id (accept, review), so two resolutions cannot both pass.
    await lockLead(em, id);
    const failed = await repos.failed.find(em, id);
    if (failed === null) throw new NotFoundError(`no failed lead with id ${id}`);
    if (failed.resolvedAt !== null) {
      throw new BadInputError(`lead ${id} was already resolved at ${failed.resolvedAt.toISOString()}${failed.resolvedBy ? ` by ${failed.resolvedBy}` : ''}`);
    }
    if ((await repos.outbox.status(em, id))?.status === 'pending') {
      throw new BadInputError(`a retry of lead ${id} is under way: wait for its outcome`);
    }
    if (!(await repos.failed.resolveWithNote(em, id, text, by.trim()))) throw new NotFoundError(`no failed lead with id ${id}`);
    await repos.audit.record({ operator: by.trim(), action: 'lead.resolve', leadId: id, detail: { note: text } }, em);
  });
  const resolved = await repos.failed.get(id);
  if (resolved === null) throw new NotFoundError(`no failed lead with id ${id}`);
  // No note and no name in the log: a note may quote the caller.
  deps.logger.info({ leadId: id }, 'failed lead resolved by hand');
  return resolved;
}
