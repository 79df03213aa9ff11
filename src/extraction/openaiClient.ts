import OpenAI from 'openai';
import type { Config } from '../config.js';

/** One retry at most: extraction has its own deadline, and a failed LLM falls back to the offline extractor. */
export const OPENAI_MAX_RETRIES = 1;

/** The OpenAI client for Chat Completions, built from config in one place; null when no API key is configured. */
export function createOpenAIClient(
  config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'EXTRACTION_TIMEOUT_MS'>,
): OpenAI | null {
  if (config.OPENAI_API_KEY === undefined) return null;
  return new OpenAI({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    timeout: config.EXTRACTION_TIMEOUT_MS,
    maxRetries: OPENAI_MAX_RETRIES,
  });
}
