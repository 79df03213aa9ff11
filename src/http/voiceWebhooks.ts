import { z } from 'zod';
import twilio from 'twilio';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import { apologyTwiml, busyTwiml, streamTwiml } from '../twilio/twiml.js';
import { streamUrlFor, verifyTwilioSignature, WEBHOOK_PATH } from '../twilio/signature.js';
import type { Metrics } from './metrics.js';
import { PayloadTooLargeError, readBody, RequestAbortedError } from './readBody.js';
import { respondText, respondXml } from './respond.js';
import type { HttpRequest, HttpResponse } from './uws.js';

/** Twilio's voice webhooks are a few hundred bytes of form data. */
export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024;
export const AFTER_STREAM_PATH = '/twilio/voice/after-stream';

/** The fields we read from Twilio's voice webhook; Twilio sends many more, which are kept for the signature only. */
const VoiceWebhookSchema = z.object({
  CallSid: z.string().regex(/^[A-Za-z0-9_-]{2,64}$/, 'CallSid is malformed'),
  From: z.string().max(64).optional(),
});

export interface VoiceWebhookDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
}

/** Reads a form-encoded Twilio webhook and checks its signature; answers the error itself and returns null. */
async function readTwilioForm(
  deps: VoiceWebhookDeps,
  res: HttpResponse,
  state: { aborted: boolean },
  url: string,
  signature: string,
  contentType: string,
): Promise<Record<string, string> | null> {
  if (!contentType.startsWith('application/x-www-form-urlencoded')) {
    // Drain and refuse; Twilio always posts forms.
    respondText(res, state, 415, 'expected application/x-www-form-urlencoded');
    return null;
  }
  let body: Buffer;
  try {
    body = await readBody(res, MAX_WEBHOOK_BODY_BYTES, state);
  } catch (error) {
    if (error instanceof RequestAbortedError) return null;
    if (error instanceof PayloadTooLargeError) respondText(res, state, 413, 'body too large');
    else respondText(res, state, 400, 'unreadable body');
    return null;
  }
  const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  const token = deps.config.TWILIO_AUTH_TOKEN;
  if (token !== undefined && !verifyTwilioSignature({ authToken: token, signature, url, params })) {
    deps.metrics.count('twilio_signature_rejected_total');
    respondText(res, state, 403, 'invalid signature');
    return null;
  }
  return params;
}

/** The URL Twilio requested, as Twilio saw it: from PUBLIC_URL when set, else from the Host header. */
function publicBase(config: Config, host: string): string {
  return config.PUBLIC_URL ?? `http://${host || 'localhost'}`;
}

/** `POST /twilio/voice-realtime-proxied`: answer with TwiML that connects the call to our media stream. */
export function voiceWebhookHandler(deps: VoiceWebhookDeps) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false };
    const base = publicBase(deps.config, req.getHeader('host'));
    const url = `${base.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
    const signature = req.getHeader('x-twilio-signature');
    const contentType = req.getHeader('content-type');
    void (async () => {
      const params = await readTwilioForm(deps, res, state, url, signature, contentType);
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
      respondXml(
        res,
        state,
        200,
        streamTwiml({
          streamUrl: streamUrlFor(base),
          parameters: { callSid, from: from ?? '' },
          actionUrl: `${base.replace(/\/+$/, '')}${AFTER_STREAM_PATH}`,
        }),
      );
    })().catch((error: unknown) => {
      deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'voice webhook failed');
      respondText(res, state, 500, 'internal error');
    });
  };
}

/**
 * `POST /twilio/voice/after-stream`: `<Connect action>` — Twilio asks what to do once our stream has closed.
 * A call whose model failed hears the apology; every other call simply hangs up.
 */
export function afterStreamHandler(deps: VoiceWebhookDeps) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false };
    const base = publicBase(deps.config, req.getHeader('host'));
    const url = `${base.replace(/\/+$/, '')}${AFTER_STREAM_PATH}`;
    const signature = req.getHeader('x-twilio-signature');
    const contentType = req.getHeader('content-type');
    void (async () => {
      const params = await readTwilioForm(deps, res, state, url, signature, contentType);
      if (params === null) return;
      const callSid = params.CallSid ?? '';
      if (deps.registry.wantsApology(callSid)) {
        respondXml(res, state, 200, apologyTwiml());
        return;
      }
      const hangup = new twilio.twiml.VoiceResponse();
      hangup.hangup();
      respondXml(res, state, 200, hangup.toString());
    })().catch((error: unknown) => {
      deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'after-stream webhook failed');
      respondText(res, state, 500, 'internal error');
    });
  };
}
