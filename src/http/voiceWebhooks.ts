import { z } from 'zod';
import twilio from 'twilio';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import { streamTokenHash, type StreamTokens } from '../security/streamTokens.js';
import { apologyTwiml, busyTwiml, streamTwiml } from '../twilio/twiml.js';
import { streamUrlFor } from '../twilio/signature.js';
import { STREAM_TOKEN_PARAMETER } from './mediaStreamSocket.js';
import type { Metrics } from './metrics.js';
import { ROUTES } from './routes.js';
import { twilioWebhook } from './twilioWebhook.js';

/** Twilio's CallSid: "CA" and 32 hex digits; kept a little looser for local tools. */
export const CallSidSchema = z.string().regex(/^[A-Za-z0-9_-]{2,64}$/, 'CallSid is malformed');

/** The fields we read from Twilio's voice webhook; Twilio sends many more, which are kept for the signature only. */
const VoiceWebhookSchema = z.object({
  CallSid: CallSidSchema,
  From: z.string().max(64).optional(),
});

/** Never fails: a missing or malformed CallSid reads as none, and that call hangs up. */
const AfterStreamSchema = z.object({
  CallSid: CallSidSchema.optional().catch(undefined),
});

/** How long the webhook waits for the call's session row before it answers Twilio anyway. */
export const ANNOUNCE_WAIT_MS = 250;

export interface VoiceWebhookDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
  streamTokens: StreamTokens;
  /** Whether a call this instance does not know ended in a model failure (src/calls/apologyFromSession.ts). */
  apologyElsewhere?: (callSid: string) => Promise<boolean>;
}

/** `POST /twilio/voice-realtime-proxied`: answer with TwiML that connects the call to our media stream. */
export function voiceWebhookHandler(deps: VoiceWebhookDeps) {
  return twilioWebhook({
    deps,
    path: ROUTES.voiceWebhook,
    schema: VoiceWebhookSchema,
    invalidCounter: 'webhooks_invalid_total',
    handle: async ({ CallSid: callSid, From: from }, { base }) => {
      const call = deps.registry.open(callSid, from ?? null);
      if (call === null) {
        const why = deps.registry.refusal();
        deps.metrics.count('calls_rejected_busy_total');
        if (why === 'no-lead-store') deps.metrics.count('calls_rejected_no_lead_store_total');
        deps.logger.warn({ callSid, live: deps.registry.size, why }, 'line busy: call refused');
        return busyTwiml();
      }
      deps.metrics.count('calls_total');
      call.logger.info({ event: 'call_started' }, 'call_started');
      const parameters: Record<string, string> = { callSid, from: from ?? '' };
      const token = deps.config.TWILIO_AUTH_TOKEN !== undefined ? deps.streamTokens.issue(callSid) : null;
      if (token !== null) parameters[STREAM_TOKEN_PARAMETER] = token;
      // Twilio may open the stream on another instance (no sticky routing): the row it would adopt the call from
      // (the token's hash, the lead id) is written before Twilio hears where to stream. Bounded: a slow database
      // only costs the adoption, never the call on this instance.
      const announced = call.session.announce({ ...(token !== null ? { streamTokenHash: streamTokenHash(token) } : {}), callSid, leadId: call.leadId, callerPhone: from ?? null });
      const wrote = await Promise.race([
        announced.then(() => true, () => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ANNOUNCE_WAIT_MS).unref()),
      ]);
      if (!wrote) deps.metrics.count('calls_announce_late_total');
      return streamTwiml({
        streamUrl: streamUrlFor(base, ROUTES.stream),
        parameters,
        actionUrl: `${base}${ROUTES.afterStream}`,
      });
    },
  });
}

/**
 * `POST /twilio/voice/after-stream`: `<Connect action>` — Twilio asks what to do once our stream has closed.
 * A call whose model failed hears the apology and may leave its details after the tone; every other call hangs up.
 */
export function afterStreamHandler(deps: VoiceWebhookDeps) {
  return twilioWebhook({
    deps,
    path: ROUTES.afterStream,
    schema: AfterStreamSchema,
    invalidCounter: 'webhooks_invalid_total',
    handle: async ({ CallSid: callSid }, { base }) => {
      // A call another instance ran (no sticky routing): its session row says whether the model failed.
      const apology =
        callSid === undefined
          ? false
          : deps.registry.knows(callSid)
            ? deps.registry.wantsApology(callSid)
            : await (deps.apologyElsewhere?.(callSid) ?? Promise.resolve(false));
      if (apology) {
        deps.metrics.count('calls_apologised_total');
        return apologyTwiml({ recordingActionUrl: `${base}${ROUTES.recording}` });
      }
      const hangup = new twilio.twiml.VoiceResponse();
      hangup.hangup();
      return hangup.toString();
    },
  });
}
