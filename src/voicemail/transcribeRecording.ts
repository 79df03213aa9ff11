import OpenAI, { toFile } from 'openai';
import { z } from 'zod';
import { AppError } from '../errors.js';

export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-transcribe';

/** How a transcription failed; `retryable` on the error says whether the same request may succeed later. */
export type TranscriptionFailure =
  | 'unauthorized'
  | 'rate_limited'
  | 'too_large'
  | 'bad_request'
  | 'server'
  | 'timeout'
  | 'network'
  | 'aborted'
  | 'malformed';

/** The recording could not be transcribed. Messages carry the status only, never the audio or a transcript. */
export class TranscriptionError extends AppError {
  constructor(
    readonly kind: TranscriptionFailure,
    message: string,
    readonly retryable: boolean,
    readonly status: number | undefined = undefined,
    options?: { cause?: unknown },
  ) {
    super(`OpenAI transcription: ${message}`, options);
  }
}

export interface TranscribeRecordingOptions {
  /** Built like the extraction client (src/extraction/openaiClient.ts): its baseURL, key and retries apply. */
  client: OpenAI;
  /** A WAV file (what fetchTwilioRecording returns). */
  audio: Buffer;
  /** Default DEFAULT_TRANSCRIPTION_MODEL. */
  model?: string;
  signal?: AbortSignal;
  /** Context for the model (vocabulary such as vehicle makes); it is not transcribed. */
  prompt?: string;
  /** This request's timeout; the client's own applies without it. */
  timeoutMs?: number;
}

/** The `json` answer of /v1/audio/transcriptions; other fields (usage, logprobs) are not needed. */
const TranscriptionSchema = z.object({ text: z.string() });

/** Transcribes a voicemail with OpenAI's speech-to-text (`POST /v1/audio/transcriptions`). */
export async function transcribeRecording(options: TranscribeRecordingOptions): Promise<{ text: string }> {
  const model = options.model ?? DEFAULT_TRANSCRIPTION_MODEL;
  let answer: unknown;
  try {
    const file = await toFile(options.audio, 'voicemail.wav', { type: 'audio/wav' });
    answer = await options.client.audio.transcriptions.create(
      { file, model, response_format: 'json', ...(options.prompt === undefined ? {} : { prompt: options.prompt }) },
      // The SDK rejects an explicit `timeout: undefined`: pass only what is set.
      { signal: options.signal ?? null, ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }) },
    );
  } catch (error) {
    throw transcriptionError(error);
  }
  const parsed = TranscriptionSchema.safeParse(answer);
  if (!parsed.success) throw new TranscriptionError('malformed', 'the answer has no text', false);
  return { text: parsed.data.text };
}

/** The SDK's errors as ours; anything else is rethrown. The timeout error is a connection error: it is checked first. */
function transcriptionError(error: unknown): TranscriptionError {
  const cause = { cause: error };
  if (error instanceof OpenAI.APIUserAbortError) return new TranscriptionError('aborted', 'aborted', true, undefined, cause);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new TranscriptionError('timeout', 'timed out', true, undefined, cause);
  if (error instanceof OpenAI.APIConnectionError) return new TranscriptionError('network', 'network error', true, undefined, cause);
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const { status } = error;
    if (status === 401 || status === 403) return new TranscriptionError('unauthorized', `${status}`, false, status, cause);
    // An exhausted quota is a 429 too, but waiting does not refill it.
    if (status === 429) return new TranscriptionError('rate_limited', `${status}`, error.code !== 'insufficient_quota', status, cause);
    if (status === 413) return new TranscriptionError('too_large', `${status}`, false, status, cause);
    if (status >= 500) return new TranscriptionError('server', `${status}`, true, status, cause);
    return new TranscriptionError('bad_request', `${status}`, status === 408 || status === 409, status, cause);
  }
  if (error instanceof OpenAI.OpenAIError) return new TranscriptionError('bad_request', error.name, false, undefined, cause);
  // Not the API's doing (a bug of ours): it goes up as it is.
  throw error;
}
