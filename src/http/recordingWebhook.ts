import { z } from 'zod';
import { reasonOf } from '../errors.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import type { Database } from '../db/orm.js';
import { attachCallRecording } from '../db/callRecordings.js';
import { recordingThanksTwiml } from '../twilio/twiml.js';
import type { Metrics } from './metrics.js';
import { ROUTES } from './routes.js';
import { twilioWebhook } from './twilioWebhook.js';
import { CallSidSchema } from './voiceWebhooks.js';

/** How long the recording waits for its call to save the failed lead it belongs to. */
export const RECORDING_LEAD_WAIT_MS = 10_000;

const RecordingWebhookSchema = z.object({
  CallSid: CallSidSchema,
  RecordingSid: z.string().regex(/^RE[A-Za-z0-9]{1,64}$/, 'RecordingSid is malformed'),
  RecordingUrl: z.url({ protocol: /^https?$/ }).max(512),
  RecordingDuration: z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number)
    .optional(),
});

/** A voicemail to read for its call's lead (src/voicemail/voicemailLead.ts), started once its reference is kept. */
export type VoicemailReader = (input: { callSid: string; recordingSid: string; recordingUrl: string; durationSeconds: number | null }) => void;

export interface RecordingWebhookDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
  db: Database;
  /** Reads the voicemail in the background (the caller is thanked at once); absent: only the reference is kept. */
  readVoicemail?: VoicemailReader;
}

/**
 * `POST /twilio/voice/recording`: `<Record action>` after the apology. Keeps the recording's reference on the
 * call's session and failed lead, starts reading the voicemail for the lead (`readVoicemail`), then thanks the caller. A database failure still thanks the caller (it is logged
 * and counted); Twilio would otherwise play its application-error message.
 */
export function recordingWebhookHandler(deps: RecordingWebhookDeps) {
  return twilioWebhook({
    deps,
    path: ROUTES.recording,
    schema: RecordingWebhookSchema,
    // No recording (the caller said nothing) or a malformed one: nothing to keep, but the caller is still thanked.
    invalidCounter: 'recordings_invalid_total',
    onInvalid: () => recordingThanksTwiml(),
    handle: async ({ CallSid: callSid, RecordingSid: sid, RecordingUrl: url, RecordingDuration: duration }) => {
      const logger = deps.logger.child({ callSid });
      // The call may still be saving its lead: let it, so the reference lands on the row.
      const live = deps.registry.get(callSid);
      if (live !== undefined) {
        await Promise.race([live.done, new Promise((resolve) => setTimeout(resolve, RECORDING_LEAD_WAIT_MS).unref())]);
      }
      try {
        const attached = await attachCallRecording(deps.db, {
          callSid,
          recording: { sid, url, durationSeconds: duration ?? null, receivedAt: new Date().toISOString() },
        });
        deps.metrics.count('recordings_saved_total');
        logger.info({ event: 'recording_saved', recordingSid: sid, failedLeads: attached.failedLeadIds.length }, 'recording_saved');
        // Downloaded, kept, transcribed and read after Twilio has its answer: none of it keeps the caller waiting.
        deps.readVoicemail?.({ callSid, recordingSid: sid, recordingUrl: url, durationSeconds: duration ?? null });
      } catch (error) {
        deps.metrics.count('recordings_failed_total');
        logger.error({ err: reasonOf(error), recordingSid: sid }, 'recording could not be saved');
      }
      return recordingThanksTwiml();
    },
  });
}
