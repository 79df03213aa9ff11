import type { ExtractionResult, Turn } from '../../leads/lead.js';
import { normalizeLead } from '../../leads/normalize.js';
import { readAgentTurn, type AgentTurn, type ReadBack } from './agentTurn.js';
import { isAffirmation, startsWithYesBut } from './callerAnswers.js';
import { readCallerTurn, opensWithCorrection } from './callerTurn.js';
import {
  applyReadBack,
  cloneDraft,
  DRAFT_FIELDS,
  draftValue,
  emptyDraft,
  readBackValue,
  reject,
  setVehicle,
  valueKey,
  type DraftLead,
} from './draftLead.js';
import type { VehicleParts } from './vehicleText.js';

/**
 * Where the offline reading of a call stands after some of its turns. `readTurn` never changes a reading: it
 * returns the next one, so a reading can be kept and the call read on from it (see LiveReader).
 */
export interface OfflineReading {
  readonly draft: DraftLead;
  /** The last agent turn, read. */
  readonly agent: AgentTurn | null;
  /** The caller's unknown make as the last agent turn read it back, to take only if the caller confirms. */
  readonly agentGuess: VehicleParts | null;
  /** The last agent turn asked to confirm its read-back and the caller has not answered yet. */
  readonly awaitingConfirmation: boolean;
  /** The caller has said something: without it there is no lead to read. */
  readonly heardCaller: boolean;
}

export const startReading = (): OfflineReading => ({
  draft: emptyDraft(),
  agent: null,
  agentGuess: null,
  awaitingConfirmation: false,
  heardCaller: false,
});

const wordIn = (text: string, word: string): boolean =>
  new RegExp(`(?<![\\p{L}\\d])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\d])`, 'iu').test(text);

/** The caller's unknown make (and model) as the agent repeats it: "A 2015 Wildfire WF150. Is that right?" */
function guessReadBack(draft: DraftLead, text: string, readBack: ReadBack): VehicleParts | null {
  const guess = draft.makeGuess;
  if (guess === null || !wordIn(text, guess.make)) return null;
  const model = guess.model !== null && wordIn(text, guess.model) ? guess.model : (readBack.vehicle?.model ?? null);
  return { year: readBack.vehicle?.year ?? null, make: guess.make, model };
}

/**
 * After the caller answered a read-back without accepting it, its values that the call now holds otherwise are
 * turned down for good, so a later read-back (a summary the caller says yes to) cannot bring them back. For a
 * read-back the agent asked about, that is every value that differs; for one said in passing (the agent moved
 * on to the next question), only the values the answer itself replaced.
 */
function rejectCorrected(draft: DraftLead, before: DraftLead, readBack: ReadBack, asked: boolean): void {
  for (const field of DRAFT_FIELDS) {
    const read = readBackValue(readBack, field);
    const now = draftValue(draft, field);
    if (read === null || now === null || (!asked && now === draftValue(before, field))) continue;
    if (valueKey(field, now) !== valueKey(field, read)) reject(draft, field, read);
  }
}

function readAgent(prev: OfflineReading, text: string, now: Date): OfflineReading {
  const draft = cloneDraft(prev.draft);
  // A read-back the caller never answered still counts as a weak source.
  if (prev.agent !== null && prev.awaitingConfirmation) applyReadBack(draft, prev.agent.readBack, false);
  const agent = readAgentTurn(text, now);
  if (!agent.confirming) applyReadBack(draft, agent.readBack, false);
  if (agent.ask?.kind !== 'phone' && agent.ask !== null) draft.partialPhone = '';
  return { ...prev, draft, agent, agentGuess: guessReadBack(draft, text, agent.readBack), awaitingConfirmation: agent.confirming };
}

function readCaller(prev: OfflineReading, text: string, now: Date): OfflineReading {
  const draft = cloneDraft(prev.draft);
  const { agent } = prev;
  const heardCaller = prev.heardCaller || text.trim() !== '';
  const next = (d: DraftLead): OfflineReading => ({ ...prev, draft: d, heardCaller, awaitingConfirmation: false });
  const ask = agent?.ask ?? null;
  if (agent !== null && prev.awaitingConfirmation) {
    if (isAffirmation(text)) {
      applyReadBack(draft, agent.readBack, true);
      if (prev.agentGuess !== null) {
        setVehicle(draft, prev.agentGuess);
        draft.makeGuess = null;
      }
      readCallerTurn(draft, text, ask, now, { inPassingOnly: true });
      return next(draft);
    }
    // "Yes, but it's a 2017": the read-back stands except for what the caller changes next.
    if (startsWithYesBut(text)) applyReadBack(draft, agent.readBack, true);
  }
  const before = cloneDraft(draft);
  readCallerTurn(draft, text, ask, now, { inPassingOnly: false });
  if (agent !== null && !isAffirmation(text)) {
    // "No, 30093" to "Got it, 30039. What's your phone number?": the answer is about the read-back, not the question.
    const about = agent.confirming ? null : readBackAsk(agent.readBack);
    if (about !== null && about.kind !== ask?.kind && opensWithCorrection(text)) {
      readCallerTurn(draft, text, about, now, { inPassingOnly: false, answerOnly: true });
    }
    rejectCorrected(draft, before, agent.readBack, prev.awaitingConfirmation);
  }
  return next(draft);
}

/** The one field a plain (unconfirmed) read-back is about, for an answer that corrects it. */
function readBackAsk(r: ReadBack): { kind: 'zip' } | { kind: 'phone' } | null {
  if (r.zip !== undefined && r.phone === undefined) return { kind: 'zip' };
  if (r.phone !== undefined && r.zip === undefined) return { kind: 'phone' };
  return null;
}

/** The reading after one more turn; `prev` is left as it was. */
export function readTurn(prev: OfflineReading, turn: Turn, now: Date): OfflineReading {
  return turn.role === 'assistant' ? readAgent(prev, turn.text, now) : readCaller(prev, turn.text, now);
}

/** The lead a reading gives as the call stands (a read-back still awaiting its answer counts weakly). */
export function leadOfReading(
  reading: OfflineReading,
  callerPhone: string | null,
  now: Date,
  refusedStates?: readonly string[],
): ExtractionResult {
  if (!reading.heardCaller) {
    const nothing = { full_name: null, zip_code: null, phone: null, vehicle_year: null, vehicle_make: null, vehicle_model: null };
    return normalizeLead(nothing, { callerPhone, now, ...(refusedStates ? { refusedStates } : {}) });
  }
  let draft = reading.draft;
  if (reading.agent !== null && reading.awaitingConfirmation) {
    draft = cloneDraft(draft);
    applyReadBack(draft, reading.agent.readBack, false);
  }
  return normalizeLead(
    {
      full_name: draft.name.length > 0 ? draft.name.join(' ') : null,
      zip_code: draft.zip,
      phone: draft.phone,
      vehicle_year: draft.vehicle.year,
      vehicle_make: draft.vehicle.make,
      vehicle_model: draft.vehicle.model,
    },
    { callerPhone, now, ...(refusedStates ? { refusedStates } : {}) },
  );
}
