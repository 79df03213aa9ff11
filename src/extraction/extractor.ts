import type OpenAI from 'openai';
import type { Config } from '../config.js';
import { ExtractionError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import { LEAD_FIELDS, type Conversation, type ExtractionResult, type Lead, type LeadField } from '../leads/lead.js';
import { createLlmExtractor, type LlmExtractor } from './llmExtractor.js';
import { extractOffline } from './offline/extractOffline.js';
import { createOpenAIClient } from './openaiClient.js';
import { hasCallerTurn, withoutUnsupported } from './callerSupport.js';

/** Why the LLM did not read a conversation with no caller turn. */
export const NO_CALLER_TURN = 'no caller turn: not sent to the LLM';

/** A field on which the two extractors disagree, with both values. */
export interface Disagreement {
  field: LeadField;
  llm: Lead[LeadField];
  offline: Lead[LeadField];
}

/** Both witnesses' accounts of one conversation, and which one is to be submitted. */
export interface Extraction {
  /** The LLM's result when it ran and succeeded, else the offline one. */
  result: ExtractionResult;
  source: 'llm' | 'offline';
  /** The offline reading, always there: what a channel falls back on without reading the transcript again. */
  offline: ExtractionResult;
  /** Why the LLM's result is not used, when an LLM is configured and failed. */
  llmError?: string;
  /** Fields where the LLM and offline leads differ (empty when the LLM did not run). */
  disagreements: Disagreement[];
}

export interface ExtractOptions {
  /** The offline reading of this very conversation, when the caller already has it (a call's live reading). */
  offline?: ExtractionResult;
  signal?: AbortSignal;
}

export interface Extractor {
  extract(conversation: Conversation, options?: ExtractOptions): Promise<Extraction>;
}

/** The extraction of a conversation no LLM read: the offline reading, submitted as it is. */
export const offlineExtraction = (offline: ExtractionResult, llmError?: string): Extraction => ({
  result: offline,
  source: 'offline',
  offline,
  ...(llmError === undefined ? {} : { llmError }),
  disagreements: [],
});

/**
 * The extraction a finished conversation goes through: the offline extractor always, the LLM too when
 * OPENAI_API_KEY is set (or a client is given). An LLM failure falls back to the offline result.
 */
export function createExtractor(
  config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_MODEL' | 'EXTRACTION_TIMEOUT_MS'>,
  deps: { logger: Logger; client?: OpenAI | null },
): Extractor {
  const log = deps.logger.child({ component: 'extractor' });
  const client = deps.client === undefined ? createOpenAIClient(config) : deps.client;
  const llm: LlmExtractor | null = client
    ? createLlmExtractor({ client, model: config.OPENAI_MODEL, timeoutMs: llmDeadlineMs(config.EXTRACTION_TIMEOUT_MS), logger: log })
    : null;

  return {
    async extract(conversation, options = {}) {
      const { signal } = options;
      const offline = options.offline ?? extractOffline(conversation);
      if (!llm) return offlineExtraction(offline);
      // Nothing the caller said: there is nothing to read, and a model asked anyway may answer with an invented lead.
      if (!hasCallerTurn(conversation)) return offlineExtraction(offline, NO_CALLER_TURN);
      let read: ExtractionResult;
      try {
        read = await llm.extract(conversation, signal);
      } catch (error) {
        // Whoever aborted has moved on; an offline answer would only be mistaken for a real one.
        if (signal?.aborted) throw new ExtractionError('extraction aborted', { cause: error });
        const llmError = reasonOf(error);
        log.warn({ reason: llmError }, 'llm_extraction_fell_back_to_offline');
        return offlineExtraction(offline, llmError);
      }
      // What the model read that nothing the caller said supports is dropped (the offline value, if any, stands in).
      const fromLlm = withoutUnsupported(read, conversation, offline);
      const disagreements = compareLeads(read.lead, offline.lead);
      if (disagreements.length > 0) {
        log.info({ fields: disagreements.map((d) => d.field) }, 'extractors_disagree');
      }
      return { result: fromLlm, source: 'llm', offline, disagreements };
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
