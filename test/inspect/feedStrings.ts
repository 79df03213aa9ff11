import { LEAD_FIELDS } from '../../src/leads/lead.js';
import { REASON_CLASSES } from '../../src/leads/reasonClass.js';
import {
  ACTOR_IDS,
  END_REASONS,
  ERROR_NAMES,
  EVENT_TYPES,
  GOODBYE_VIAS,
  INSPECTION_TYPES,
  OUTCOMES,
  SNAPSHOT_STATUSES,
  SOURCES,
  STATE_KEYS,
} from '../../src/inspect/callVocabulary.js';

/** Keys whose string is an id, a time or the machine's definition: code-made, not free text. */
const SAFE_KEYS = new Set([
  'callSid',
  'leadId',
  'streamSid',
  'handedOffTo',
  'instanceId',
  'actorId',
  'sessionId',
  'rootId',
  'parentId',
  'sourceId',
  'id',
  'name',
  '_version',
  'createdAt',
  'at',
  'definition',
]);

/** Every string the sanitizer itself may put out as a value. */
const ENUMERATED = new Set<string>([
  ...LEAD_FIELDS,
  ...REASON_CLASSES,
  ...END_REASONS,
  ...OUTCOMES,
  ...SOURCES,
  ...GOODBYE_VIAS,
  ...SNAPSHOT_STATUSES,
  ...INSPECTION_TYPES,
  ...ERROR_NAMES,
  ...EVENT_TYPES,
  ...STATE_KEYS,
  ...ACTOR_IDS,
  'given',
  '[redacted]',
  '[unknown]',
]);

/**
 * The strings of a serialized inspection event (keys included) that are neither under a safe key nor enumerated:
 * what would break "every string leaving redactInspectionEvent is known-safe or enumerated". Empty: none.
 */
export function unaccountedStrings(json: string): string[] {
  const found: string[] = [];
  const visit = (value: unknown, key: string | null): void => {
    if (typeof value === 'string') {
      if (!(key !== null && SAFE_KEYS.has(key)) && !ENUMERATED.has(value)) found.push(`${key ?? '[item]'}=${value}`);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
      return;
    }
    for (const [childKey, child] of Object.entries(value)) {
      if (!KNOWN_KEYS.has(childKey) && !ENUMERATED.has(childKey)) found.push(`key ${childKey}`);
      visit(child, childKey);
    }
  };
  visit(JSON.parse(json), null);
  return found;
}

/** Keys the sanitizer emits (besides enumerated ones: lead fields as keys, state names as keys). */
const KNOWN_KEYS = new Set([
  ...SAFE_KEYS,
  'type',
  'snapshot',
  'event',
  'status',
  'value',
  'context',
  'input',
  'output',
  'error',
  'children',
  'tags',
  'timeouts',
  ...['modelConnectMs', 'streamStartMs', 'maxCallMs', 'goodbyePlaybackMs', 'transcriptWaitMs', 'extractionMs', 'dbWriteMs', 'submissionMs'],
  'callerPhone',
  'modelReady',
  'streamStarted',
  'reading',
  'initialReading',
  'offline',
  'captured',
  'transcript',
  'endReason',
  'failureReason',
  'apology',
  'extraction',
  'storeError',
  'result',
  'lostReason',
  'outcome',
  'reason',
  'pending',
  'fields',
  'complete',
  'missing',
  'errors',
  'reasons',
  'attempts',
  'source',
  'llmError',
  'disagreements',
  'disputed',
  'turns',
  'field',
  'via',
  'data',
]);
