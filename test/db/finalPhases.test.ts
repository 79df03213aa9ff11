import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINAL_CALL_STATES } from '../../machines/callMachine.js';
import { FINAL_CALL_PHASES, RECOVERED_PHASE } from '../../src/outbox/recoverySweep.js';

/** The newest migration that (re)creates the index: the held-for-review phase joined the final ones there. */
const migration = readFileSync(fileURLToPath(new URL('../../migrations/Migration20261203090000.ts', import.meta.url)), 'utf8');

/** The phases the partial index on unfinished voice sessions leaves out, as the migration writes them. */
function phasesInMigration(): string[] {
  const index = /create index "conversation_sessions_unfinished_index"[^;]*not in \(([^)]*)\)/.exec(migration);
  if (!index?.[1]) throw new Error('the unfinished-sessions index is not in the migration');
  return [...index[1].matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
}

describe('final call phases', () => {
  it('come from the machine: its final states, and the phase the recovery sweep writes', () => {
    expect([...FINAL_CALL_STATES].sort()).toEqual(['saved-failure', 'saved-review', 'saved-success']);
    expect(FINAL_CALL_PHASES).toEqual([...FINAL_CALL_STATES, RECOVERED_PHASE]);
  });

  it("match the migration's partial index, so the sweep's query can use it", () => {
    expect(new Set(phasesInMigration())).toEqual(new Set(FINAL_CALL_PHASES));
  });
});
