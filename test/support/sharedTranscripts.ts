import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ConversationSchema, type Conversation } from '../../src/leads/lead.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The sample calls: `../shared/transcripts` beside the checkout when it is there (it is the source of truth and may
 * gain samples), else the copy in test/fixtures/shared-transcripts, so a clone anywhere still runs the suite.
 */
export const SHARED_TRANSCRIPTS_DIR: string = [join(repoRoot, '..', 'shared', 'transcripts'), join(repoRoot, 'test', 'fixtures', 'shared-transcripts')].find(
  (dir) => existsSync(join(dir, 'public-01.json')),
) ?? join(repoRoot, 'test', 'fixtures', 'shared-transcripts');

/** A sample call file as JSON (with `expected`). */
export function sampleFile(name: string): unknown {
  return JSON.parse(readFileSync(join(SHARED_TRANSCRIPTS_DIR, name), 'utf8'));
}

/** A sample call as a conversation (callerPhone and turns). */
export function sampleConversation(name = 'public-01.json'): Conversation {
  return ConversationSchema.parse(sampleFile(name));
}
