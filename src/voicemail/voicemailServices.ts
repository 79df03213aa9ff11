import OpenAI from 'openai';
import type { Config } from '../config.js';
import { transcribeRecording } from './transcribeRecording.js';
import { fetchTwilioRecording } from './twilioRecording.js';
import type { VoicemailServices } from './voicemailLead.js';

/** A voicemail's transcription may take longer than an extraction: a minute of audio, one retry. */
export const TRANSCRIPTION_TIMEOUT_MS = 60_000;

/**
 * Twilio's recording download (TWILIO_SID + TWILIO_AUTH_TOKEN, only from TWILIO_API_URL) and OpenAI's
 * transcription (OPENAI_API_KEY, OPENAI_TRANSCRIPTION_MODEL), as the config allows; what is missing is named.
 */
export function voicemailServicesFrom(
  config: Pick<Config, 'TWILIO_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_URL' | 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_TRANSCRIPTION_MODEL'>,
): VoicemailServices {
  const missing: string[] = [];
  const { TWILIO_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } = config;
  if (accountSid === undefined) missing.push('TWILIO_SID');
  if (authToken === undefined) missing.push('TWILIO_AUTH_TOKEN');
  if (config.OPENAI_API_KEY === undefined) missing.push('OPENAI_API_KEY');
  const fetchAudio =
    accountSid === undefined || authToken === undefined
      ? null
      : async (recordingUrl: string, signal?: AbortSignal) =>
          (await fetchTwilioRecording({ recordingUrl, accountSid, authToken, apiBase: config.TWILIO_API_URL, ...(signal ? { signal } : {}) })).audio;
  const client =
    config.OPENAI_API_KEY === undefined
      ? null
      : new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, timeout: TRANSCRIPTION_TIMEOUT_MS, maxRetries: 1 });
  const transcribe =
    client === null
      ? null
      : async (audio: Buffer, signal?: AbortSignal) =>
          (await transcribeRecording({ client, audio, model: config.OPENAI_TRANSCRIPTION_MODEL, ...(signal ? { signal } : {}) })).text;
  return { fetchAudio, transcribe, missing };
}
