import type OpenAI from 'openai';
import type { Config } from '../config.js';
import { ExtractionError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import { LEAD_FIELDS, type Conversation, type ExtractionResult, type Lead, type LeadField } from '../leads/lead.js';
import { createLlmExtractor, type LlmExtractor } from './llmExtractor.js';
import { extractOffline } from './offline/extractOffline.js';
import { createOpenAIClient } from './openaiClient.js';
import { hasCallerTurn, withoutUnsupported } from './callerSupport.js';
import type { CapturedFields } from '../leads/capturedFields.js';
import { decidedResult, decideLead, decideNow, type LeadDecision, type Reask } from './fieldVote.js';

/** Why the LLM did not read a conversation with no caller turn. */
export const NO_CALLER_TURN = 'no caller turn: not sent to the LLM';

/** A field on which the two extractors disagree, with both values. */
export interface Disagreement {
  field: LeadField;
  llm: Lead[LeadField];
  offline: Lead[LeadField];
}

/** The witnesses' accounts of one conversation, and the lead their vote decided. */
export interface Extraction {
  /** The decided lead (fieldVote.ts), or the offline reading when no vote was taken (a machine fallback). */
  result: ExtractionResult;
  /** `llm` when the LLM's reading was one of the witnesses. */
  source: 'llm' | 'offline';
  /** The offline reading, always there: what a channel falls back on without reading the transcript again. */
  offline: ExtractionResult;
  /** Why the LLM's result is not used, when an LLM is configured and failed. */
  llmError?: string;
  /** Fields where the LLM and offline leads differ (empty when the LLM did not run). */
  disagreements: Disagreement[];
  /** Each field's verdict and its witnesses; null when no vote was taken. */
  decision: LeadDecision | null;
}

export interface ExtractOptions {
  /** The offline reading of this very conversation, when the caller already has it (a call's live reading). */
  offline?: ExtractionResult;
  /** What the agent recorded during the call (`record_lead_field`): the live capture witness. */
  captured?: CapturedFields;
  /**
   * False: the witnesses' first answers stand, the LLM is not asked again about a field they disagree on (a reading
   * in the middle of a conversation, where the disputed fields are left to the offline reading). Default true.
   */
  reask?: boolean;
  signal?: AbortSignal;
}

export interface Extractor {
  extract(conversation: Conversation, options?: ExtractOptions): Promise<Extraction>;
}

/**
 * The extraction of a conversation no LLM read: the offline reading and, when there is one, the live capture
 * decide it (without an LLM to ask again, a field they disagree on is disputed).
 */
export const offlineExtraction = (offline: ExtractionResult, llmError?: string, captured?: CapturedFields): Extraction => {
  const decision = decideNow({ ...(captured === undefined ? {} : { live: captured }), offline: offline.lead });
  return {
    result: decidedResult(decision, { offline }),
    source: 'offline',
    offline,
    ...(llmError === undefined ? {} : { llmError }),
    disagreements: [],
    decision,
  };
};

/**
 * The extraction a finished conversation goes through: the offline extractor always, the LLM too when
 * OPENAI_API_KEY is set (or a client is given). An LLM failure falls back to the offline result.
 */
export function createExtractor(
  config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_MODEL' | 'EXTRACTION_TIMEOUT_MS'> & Partial<Pick<Config, 'REFUSED_STATES'>>,
  deps: { logger: Logger; client?: OpenAI | null },
): Extractor {
  const log = deps.logger.child({ component: 'extractor' });
  const client = deps.client === undefined ? createOpenAIClient(config) : deps.client;
  const llm: LlmExtractor | null = client
    ? createLlmExtractor({ client, model: config.OPENAI_MODEL, timeoutMs: llmDeadlineMs(config.EXTRACTION_TIMEOUT_MS), logger: log, ...(config.REFUSED_STATES ? { refusedStates: config.REFUSED_STATES } : {}) })
    : null;

  return {
    async extract(conversation, options = {}) {
      const { signal, captured, reask = true } = options;
      const offline = options.offline ?? extractOffline(conversation, new Date(), config.REFUSED_STATES);
      if (!llm) return offlineExtraction(offline, undefined, captured);
      // Nothing the caller said: there is nothing to read, and a model asked anyway may answer with an invented lead.
      if (!hasCallerTurn(conversation)) return offlineExtraction(offline, NO_CALLER_TURN, captured);
      let read: ExtractionResult;
      try {
        read = await llm.extract(conversation, signal);
      } catch (error) {
        // Whoever aborted has moved on; an offline answer would only be mistaken for a real one.
        if (signal?.aborted) throw new ExtractionError('extraction aborted', { cause: error });
        const llmError = reasonOf(error);
        log.warn({ reason: llmError }, 'llm_extraction_fell_back_to_offline');
        return offlineExtraction(offline, llmError, captured);
      }
      // What the model read that nothing the caller said supports is dropped: the LLM has no value there.
      const fromLlm = withoutUnsupported(read, conversation);
      const disagreements = compareLeads(read.lead, offline.lead);
      const reaskLlm: Reask = async (disputes) => {
        const again = await llm.reask(conversation, disputes, { ...(signal ? { signal } : {}), make: fromLlm.lead.vehicle_make });
        // The second answer is held to the same standard as the first.
        const checked = withoutUnsupported({ ...fromLlm, lead: { ...fromLlm.lead, ...again } }, conversation).lead;
        return Object.fromEntries(disputes.map(({ field }) => [field, checked[field]]));
      };
      const decision = await decideLead(
        { ...(captured === undefined ? {} : { live: captured }), llm: fromLlm.lead, offline: offline.lead },
        reask ? reaskLlm : undefined,
      );
      if (disagreements.length > 0 || decision.disputed.length > 0) {
        log.info({ fields: disagreements.map((d) => d.field), disputed: decision.disputed, reasked: decision.reasked }, 'witnesses_disagree');
      }
      return { result: decidedResult(decision, { llm: fromLlm, offline }), source: 'llm', offline, disagreements, decision };
    },
  };
}

/** The fields on which two leads differ. */
export function compareLeads(llm: Lead, offline: Lead): Disagreement[] {
  return LEAD_FIELDS.filter((field) => llm[field] !== offline[field]).map((field) => ({
    field,
    llm: llm[field],
    offline: offline[field],
  }));
}

/**
 * The LLM gets three quarters of the extraction deadline, so that when it is slow the offline reading is still
 * delivered before the call's own extraction timeout fires.
 */
export function llmDeadlineMs(extractionTimeoutMs: number): number {
  return Math.max(1, Math.floor(extractionTimeoutMs * 0.75));
}
