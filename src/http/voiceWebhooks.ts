import { z } from 'zod';
import twilio from 'twilio';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import type { StreamTokens } from '../security/streamTokens.js';
import { apologyTwiml, busyTwiml, streamTwiml } from '../twilio/twiml.js';
import { streamUrlFor } from '../twilio/signature.js';
import { ROUTES } from './routes.js';
import { STREAM_TOKEN_PARAMETER } from './mediaStreamSocket.js';
import { logSafeReason } from '../security/logSafeReason.js';
import type { Metrics } from './metrics.js';
import { respondText, respondXml } from './respond.js';
import { readTwilioForm, twilioRequestHead } from './twilioForm.js';
import type { HttpRequest, HttpResponse } from './uws.js';

export { MAX_WEBHOOK_BODY_BYTES } from './twilioForm.js';

/** Twilio's CallSid: "CA" and 32 hex digits; kept a little looser for local tools. */
export const CallSidSchema = z.string().regex(/^[A-Za-z0-9_-]{2,64}$/, 'CallSid is malformed');

/** The fields we read from Twilio's voice webhook; Twilio sends many more, which are kept for the signature only. */
const VoiceWebhookSchema = z.object({
  CallSid: CallSidSchema,
  From: z.string().max(64).optional(),
});

export interface VoiceWebhookDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
  streamTokens: StreamTokens;
}

/** `POST /twilio/voice-realtime-proxied`: answer with TwiML that connects the call to our media stream. */
export function voiceWebhookHandler(deps: VoiceWebhookDeps) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false };
    const head = twilioRequestHead(deps.config, req, ROUTES.voiceWebhook);
    void (async () => {
      const params = await readTwilioForm(deps, res, state, head);
      if (params === null) return;
      const parsed = VoiceWebhookSchema.safeParse(params);
      if (!parsed.success) {
        deps.metrics.count('webhooks_invalid_total');
        respondText(res, state, 400, parsed.error.issues[0]?.message ?? 'invalid webhook');
        return;
      }
      const { CallSid: callSid, From: from } = parsed.data;
      const call = deps.registry.open(callSid, from ?? null);
      if (call === null) {
        deps.metrics.count('calls_rejected_busy_total');
        deps.logger.warn({ callSid, live: deps.registry.size }, 'line busy: call refused');
        respondXml(res, state, 200, busyTwiml());
        return;
      }
      deps.metrics.count('calls_total');
      call.logger.info({ event: 'call_started' }, 'call_started');
      const parameters: Record<string, string> = { callSid, from: from ?? '' };
      if (deps.config.TWILIO_AUTH_TOKEN !== undefined) parameters[STREAM_TOKEN_PARAMETER] = deps.streamTokens.issue(callSid);
      respondXml(
        res,
        state,
        200,
        streamTwiml({
          streamUrl: streamUrlFor(head.base, ROUTES.stream),
          parameters,
          actionUrl: `${head.base}${ROUTES.afterStream}`,
        }),
      );
    })().catch((error: unknown) => {
      deps.logger.error({ err: logSafeReason(error) }, 'voice webhook failed');
      respondText(res, state, 500, 'internal error');
    });
  };
}

/**
 * `POST /twilio/voice/after-stream`: `<Connect action>` — Twilio asks what to do once our stream has closed.
 * A call whose model failed hears the apology and may leave its details after the tone; every other call hangs up.
 */
export function afterStreamHandler(deps: VoiceWebhookDeps) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false };
    const head = twilioRequestHead(deps.config, req, ROUTES.afterStream);
    void (async () => {
      const params = await readTwilioForm(deps, res, state, head);
      if (params === null) return;
      const callSid = CallSidSchema.safeParse(params.CallSid);
      if (callSid.success && deps.registry.wantsApology(callSid.data)) {
        deps.metrics.count('calls_apologised_total');
        respondXml(res, state, 200, apologyTwiml({ recordingActionUrl: `${head.base}${ROUTES.recording}` }));
        return;
      }
      const hangup = new twilio.twiml.VoiceResponse();
      hangup.hangup();
      respondXml(res, state, 200, hangup.toString());
    })().catch((error: unknown) => {
      deps.logger.error({ err: logSafeReason(error) }, 'after-stream webhook failed');
      respondText(res, state, 500, 'internal error');
    });
  };
}
