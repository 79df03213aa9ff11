import twilio from 'twilio';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { normalizePhone } from '../leads/normalize.js';
import type { SmsConversations } from '../sms/smsConversations.js';
import type { Metrics } from './metrics.js';
import { ROUTES } from './routes.js';
import { twilioWebhook } from './twilioWebhook.js';

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
  return twilioWebhook({
    deps,
    path: ROUTES.sms,
    schema: SmsWebhookSchema,
    invalidCounter: 'sms_invalid_total',
    errorCounter: 'sms_errors_total',
    handle: async ({ From: from, Body: body }) => {
      // The session key is the texter's number in E.164, so "+1 404..." and "404..." are one conversation.
      const phone = normalizePhone(from).value ?? from;
      deps.metrics.count('sms_received_total');
      const reply = await deps.sms.handle(phone, body);
      const twiml = new twilio.twiml.MessagingResponse();
      twiml.message(reply);
      return twiml.toString();
    },
  });
}
