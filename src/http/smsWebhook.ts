import twilio from 'twilio';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { normalizePhone } from '../leads/normalize.js';
import type { SmsConversations } from '../sms/smsConversations.js';
import { logSafeReason } from '../security/logSafeReason.js';
import type { Metrics } from './metrics.js';
import { respondText, respondXml } from './respond.js';
import { readTwilioForm, twilioRequestHead } from './twilioForm.js';
import { ROUTES } from './routes.js';
import type { HttpRequest, HttpResponse } from './uws.js';

const SmsWebhookSchema = z.object({
  From: z.string().min(1).max(64),
  Body: z.string().max(10_000).default(''),
  MessageSid: z.string().max(64).optional(),
});

export interface SmsWebhookDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sms: SmsConversations;
}

/** `POST /twilio/sms`: Twilio's messaging webhook. One text in, the agent's reply out as TwiML `<Message>`. */
export function smsWebhookHandler(deps: SmsWebhookDeps) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false };
    const head = twilioRequestHead(deps.config, req, ROUTES.sms);
    void (async () => {
      const params = await readTwilioForm(deps, res, state, head);
      if (params === null) return;
      const parsed = SmsWebhookSchema.safeParse(params);
      if (!parsed.success) {
        deps.metrics.count('sms_invalid_total');
        respondText(res, state, 400, parsed.error.issues[0]?.message ?? 'invalid SMS webhook');
        return;
      }
      // The session key is the texter's number in E.164, so "+1 404..." and "404..." are one conversation.
      const phone = normalizePhone(parsed.data.From).value ?? parsed.data.From;
      deps.metrics.count('sms_received_total');
      const reply = await deps.sms.handle(phone, parsed.data.Body);
      const twiml = new twilio.twiml.MessagingResponse();
      twiml.message(reply);
      respondXml(res, state, 200, twiml.toString());
    })().catch((error: unknown) => {
      deps.metrics.count('sms_errors_total');
      deps.logger.error({ err: logSafeReason(error) }, 'sms webhook failed');
      respondText(res, state, 500, 'internal error');
    });
  };
}
