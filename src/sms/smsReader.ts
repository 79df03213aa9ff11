import type { SmsReadBack, SmsReading } from '../../machines/smsMachine.js';
import { reasonOf } from '../errors.js';
import { offlineExtraction, type Extraction, type Extractor } from '../extraction/extractor.js';
import { isAffirmation } from '../extraction/offline/callerAnswers.js';
import { extractOffline } from '../extraction/offline/extractOffline.js';
import type { Conversation, ExtractionResult } from '../leads/lead.js';
import type { Logger } from '../log.js';
import { readBackCapture } from './readBackCapture.js';
import { turnReading } from './turnReading.js';

/** The LLM as an SMS conversation's second reader, and how long a reply waits for it. */
export interface SmsLlm {
  extractor: Extractor;
  /** How long one text's reply waits for the LLM's reading; past it the turn goes on with the offline reading. */
  turnWaitMs: number;
  /** How long the final vote (the LLM's reading and its re-ask) may take before the lead is decided without it. */
  voteWaitMs: number;
}

/** How an SMS conversation is read: after each text, and once the texter confirmed the read-back. */
export interface SmsReader {
  /** The machine's view of the conversation with the latest text in it; `llm: false` reads it offline only. */
  readTurn(conversation: Conversation, text: string, options?: { llm?: boolean }): Promise<SmsReading>;
  /**
   * The lead to submit: the vote of the confirmed read-back (the live witness), the LLM and the offline reading.
   * Without an LLM, the offline reading as it always was, and no vote (`decision` null).
   */
  decide(conversation: Conversation, readBack: SmsReadBack | null, at: Date): Promise<Extraction>;
}

/** "No", "nope, that's wrong": the texter rejects the read-back. */
const NEGATIVE = /^\s*(?:no|nope|nah|not (?:quite|right|correct)|wrong|incorrect)\b/i;

/** The SMS reader: offline always (fast, deterministic); the LLM too when one is configured, within its waits. */
export function createSmsReader(deps: { llm?: SmsLlm | null; logger: Logger; refusedStates?: readonly string[] }): SmsReader {
  const llm = deps.llm ?? null;
  const log = deps.logger.child({ component: 'sms-reader' });

  const turnResult = async (conversation: Conversation, offline: ExtractionResult): Promise<ExtractionResult> => {
    if (llm === null) return offline;
    try {
      const extraction = await llm.extractor.extract(conversation, { offline, reask: false, signal: AbortSignal.timeout(llm.turnWaitMs) });
      return turnReading(extraction);
    } catch (error) {
      // Only our own deadline aborts it: the reply goes out with the offline reading.
      log.info({ event: 'sms_llm_turn_skipped', timeoutMs: llm.turnWaitMs, reason: reasonOf(error) }, 'sms_llm_turn_skipped');
      return offline;
    }
  };

  return {
    async readTurn(conversation, text, options = {}) {
      const offline = extractOffline(conversation, new Date(), deps.refusedStates);
      const result = options.llm === false ? offline : await turnResult(conversation, offline);
      return {
        lead: result.lead,
        complete: result.complete,
        missing: result.missing,
        errors: result.errors,
        affirmative: isAffirmation(text),
        negative: NEGATIVE.test(text),
      };
    },

    async decide(conversation, readBack, at) {
      const offline = extractOffline(conversation, new Date(), deps.refusedStates);
      if (llm === null) return { result: offline, source: 'offline', offline, disagreements: [], decision: null };
      const captured = readBack === null ? undefined : readBackCapture(readBack, at);
      const signal = AbortSignal.timeout(llm.voteWaitMs);
      try {
        return await llm.extractor.extract(conversation, { offline, ...(captured === undefined ? {} : { captured }), signal });
      } catch (error) {
        // The lead is never lost to its reader: past the wait (or on any surprise) the read-back and the offline
        // reading decide it, as when the LLM is unreachable.
        const llmError = signal.aborted ? `no LLM answer within ${llm.voteWaitMs} ms` : reasonOf(error);
        log.warn({ event: 'sms_llm_vote_fell_back', timeoutMs: llm.voteWaitMs, reason: llmError }, 'sms_llm_vote_fell_back');
        return offlineExtraction(offline, llmError, captured);
      }
    },
  };
}
