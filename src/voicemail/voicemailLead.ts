import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Repositories } from '../db/repositories.js';
import { readVoiceState, type VoiceState } from '../db/entities/sessionState.js';
import type { Extractor } from '../extraction/extractor.js';
import { refusalFor } from '../leads/problems.js';
import type { Turn } from '../leads/lead.js';
import type { LeadOutbox } from '../outbox/leadOutbox.js';
import { retryFailedLead } from '../outbox/retryFailedLeads.js';
import type { RecordingArchive } from '../recordings/recordingArchive.js';
import { parseWavHeader } from '../recordings/wavHeader.js';
import { voicemailTurns } from './voicemailTurns.js';

/** What the voicemail needs from outside: Twilio's download and OpenAI's transcription (null: not configured). */
export interface VoicemailServices {
  /** Downloads the recording (Twilio credentials); null when TWILIO_SID / TWILIO_AUTH_TOKEN are not set. */
  fetchAudio: ((recordingUrl: string, signal?: AbortSignal) => Promise<Buffer>) | null;
  /** Transcribes a WAV; null without OPENAI_API_KEY. */
  transcribe: ((audio: Buffer, signal?: AbortSignal) => Promise<string>) | null;
  /** The settings that are missing, for the session (names, never a secret). */
  missing: string[];
}

export interface VoicemailDeps {
  repos: Repositories;
  outbox: LeadOutbox;
  extractor: Extractor;
  archive: RecordingArchive;
  services: VoicemailServices;
  logger: Logger;
  /** Where the downloaded audio is written before the store takes it. */
  workDir: string;
  clock?: () => Date;
}

export interface VoicemailInput {
  callSid: string;
  recordingSid: string;
  recordingUrl: string;
  /** Twilio's RecordingDuration, for a file whose header cannot be read. */
  durationSeconds: number | null;
}

/**
 * `read`: transcribed and read for the lead (which may then have been sent); `kept`: only Twilio's reference is kept
 * (credentials or key missing); `failed`: a step failed (the reason says which).
 */
export type VoicemailOutcome =
  | { status: 'read'; leadId: string | null; lead: 'sent' | 'failed' | 'updated' | 'unchanged'; reason: string | null }
  | { status: 'kept' | 'failed'; reason: string };

/** How many times the download is tried: Twilio may answer 404 for a moment after its recording callback. */
export const VOICEMAIL_FETCH_TRIES = 3;
export const VOICEMAIL_FETCH_BACKOFF_MS = 1_000;

/**
 * The message a caller left after the tone, once Twilio's recording callback came: downloaded and kept in the
 * recording store, transcribed, and read with the call's own transcript and live capture by the same extractor and
 * vote as any conversation. A call whose lead was saved failed (the model failed) gets the better fields; a
 * complete, undisputed, allowed lead is then sent through the outbox under its own id (`leads failed retry`'s road),
 * so NPA sees it once. A disputed or still incomplete one stays failed, with the reason, for a person. Whatever
 * happens, the session says what (`voicemail`), and nothing throws.
 */
export async function readVoicemail(deps: VoicemailDeps, input: VoicemailInput, signal?: AbortSignal): Promise<VoicemailOutcome> {
  const logger = deps.logger.child({ callSid: input.callSid, recordingSid: input.recordingSid });
  const outcome = await read(deps, input, logger, signal).catch((error: unknown): VoicemailOutcome => ({ status: 'failed', reason: reasonOf(error) }));
  const at = (deps.clock?.() ?? new Date()).toISOString();
  await deps.repos.sessions
    .open({ channel: 'voice', sessionKey: input.callSid, state: { voicemail: { status: outcome.status, reason: outcome.reason, at } } })
    .catch((error: unknown) => logger.warn({ err: reasonOf(error) }, 'voicemail outcome could not be noted on the session'));
  logger.info({ event: 'voicemail', status: outcome.status, reason: outcome.reason, outcome: 'lead' in outcome ? outcome.lead : null }, 'voicemail handled');
  return outcome;
}

async function read(deps: VoicemailDeps, input: VoicemailInput, logger: Logger, signal?: AbortSignal): Promise<VoicemailOutcome> {
  const { fetchAudio, transcribe } = deps.services;
  if (fetchAudio === null || transcribe === null) {
    return { status: 'kept', reason: `not read: ${deps.services.missing.join(', ')} not set; Twilio's reference is kept` };
  }
  const audio = await fetchWithRetries(fetchAudio, input.recordingUrl, signal);
  await keepAudio(deps, input, audio, logger);
  const text = (await transcribe(audio, signal)).trim();
  const session = await deps.repos.sessions.getByKey(input.callSid);
  const state: VoiceState = session === null ? {} : readVoiceState(session.state);
  const turns: Turn[] = [...(state.transcript ?? []), ...voicemailTurns(text)];
  // The session's transcript shows what the voicemail said after the call's own turns (what review reads).
  if (session !== null) await deps.repos.sessions.patch(session.id, { transcript: turns });
  const leadId = state.leadId ?? null;
  if (text === '') return { status: 'read', leadId, lead: 'unchanged', reason: 'the voicemail holds no words' };
  const failed = leadId === null ? null : await deps.repos.failed.get(leadId);
  if (leadId === null || failed === null || failed.resolvedAt !== null) {
    return { status: 'read', leadId, lead: 'unchanged', reason: "the call's lead is not an unresolved failed lead: nothing to update" };
  }
  const extraction = await deps.extractor.extract(
    { callerPhone: state.callerPhone ?? null, turns },
    { ...(state.captured ? { captured: state.captured } : {}), ...(signal ? { signal } : {}) },
  );
  const disputed = extraction.decision?.disputed ?? [];
  const refusal = refusalFor(extraction.result, { context: 'read from the voicemail' });
  const why =
    disputed.length > 0
      ? `read from the voicemail: the witnesses disagree on ${disputed.join(', ')}; a person decides (leads failed show)`
      : (refusal ?? 'read from the voicemail: complete');
  const updated = await deps.repos.db.em().transactional((em) => deps.repos.failed.updateLead(em, leadId, extraction.result.lead, why));
  if (!updated) return { status: 'read', leadId, lead: 'unchanged', reason: 'the failed lead was resolved meanwhile' };
  if (disputed.length > 0 || refusal !== undefined) return { status: 'read', leadId, lead: 'updated', reason: why };
  const retried = await retryFailedLead({ repos: deps.repos, outbox: deps.outbox, logger: deps.logger }, leadId, signal ? { signal } : {});
  if (retried.outcome === 'succeeded') return { status: 'read', leadId, lead: 'sent', reason: null };
  return { status: 'read', leadId, lead: 'failed', reason: `sent from the voicemail and not accepted: ${retried.reason ?? retried.outcome}` };
}

async function fetchWithRetries(fetchAudio: NonNullable<VoicemailServices['fetchAudio']>, url: string, signal?: AbortSignal): Promise<Buffer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= VOICEMAIL_FETCH_TRIES; attempt++) {
    try {
      return await fetchAudio(url, signal);
    } catch (error) {
      lastError = error;
      const retryable = (error as { retryable?: unknown }).retryable !== false;
      if (!retryable || attempt === VOICEMAIL_FETCH_TRIES || signal?.aborted === true) break;
      await new Promise((resolve) => setTimeout(resolve, VOICEMAIL_FETCH_BACKOFF_MS * attempt).unref());
    }
  }
  throw lastError;
}

/** The voicemail's audio in the recording store, linked to the call (a failure is logged; the reading goes on). */
async function keepAudio(deps: VoicemailDeps, input: VoicemailInput, audio: Buffer, logger: Logger): Promise<void> {
  const filePath = join(deps.workDir, `${input.callSid}-voicemail.wav.download`);
  try {
    await deps.archive.prepare();
    await writeFile(filePath, audio);
    await deps.archive.storeVoicemail(input.callSid, { filePath, ...wavFacts(audio, input.durationSeconds) }, input.recordingSid);
  } catch (error) {
    logger.warn({ err: reasonOf(error) }, 'voicemail audio could not be kept in the recording store');
  } finally {
    await rm(filePath, { force: true }).catch(() => undefined);
  }
}

/** Length, channels and rate from the WAV's header; from Twilio's duration when the header cannot be read. */
function wavFacts(audio: Buffer, durationSeconds: number | null): { durationMs: number; channels: number; sampleRate: number; format: string } {
  try {
    const header = parseWavHeader(audio);
    const frameBytes = Math.max(1, header.blockAlign);
    const dataBytes = Math.min(header.dataBytes, audio.length - header.dataOffset);
    return { durationMs: (dataBytes / frameBytes / header.sampleRate) * 1000, channels: header.channels, sampleRate: header.sampleRate, format: 'pcm_s16le' };
  } catch {
    return { durationMs: (durationSeconds ?? 0) * 1000, channels: 1, sampleRate: 8000, format: 'audio/wav' };
  }
}
