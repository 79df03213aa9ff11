import type { z } from 'zod';
import type { Config } from '../config.js';
import { BadInputError, httpStatusOf, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import { respond, respondText, respondXml, TEXT_PLAIN } from './respond.js';
import { readTwilioForm, twilioRequestHead } from './twilioForm.js';
import type { HttpRequest, HttpResponse } from './uws.js';
import { storableStrings } from '../wire/storableText.js';

/** What a webhook answers: TwiML (200, text/xml), or any status, content type and body. */
export type WebhookAnswer = string | { status: number; contentType: string; body: string };

/** What a handler may know about its request besides the parsed form. */
export interface WebhookContext {
  /** Our public origin for URLs in TwiML, without a trailing slash. */
  base: string;
}

export interface TwilioWebhookRoute<Schema extends z.ZodType> {
  deps: { config: Config; logger: Logger; metrics: Metrics };
  /** The route's path: the URL Twilio signs is PUBLIC_URL and this path. */
  path: string;
  /** The fields the route reads; Twilio sends many more, which are kept for the signature only. */
  schema: Schema;
  /** Counted when the form does not match `schema`. */
  invalidCounter: string;
  /** The answer to a form that does not match `schema`; by default 400 with the first issue's message. */
  onInvalid?: (error: z.ZodError) => WebhookAnswer;
  /** Counted, besides the log line, when `handle` throws. */
  errorCounter?: string;
  handle: (input: z.output<Schema>, ctx: WebhookContext) => WebhookAnswer | Promise<WebhookAnswer>;
}

/**
 * A uWS POST handler for a Twilio webhook: reads the form, checks the signature, makes its text storable
 * (wire/storableText.ts), parses it with `schema` and answers what `handle` returns. A thrown error is answered with `httpStatusOf` and logged once, without the request's data.
 */
export function twilioWebhook<Schema extends z.ZodType>(route: TwilioWebhookRoute<Schema>) {
  const { deps, path, schema } = route;
  const onInvalid = route.onInvalid ?? badRequest;

  async function serve(res: HttpResponse, req: HttpRequest, state: { aborted: boolean }): Promise<void> {
    // Everything up to the first await runs inside the uWS callback: `req` is still valid and the body reader is
    // attached before uWS returns.
    const head = twilioRequestHead(deps.config, req, path);
    const params = await readTwilioForm(deps, res, state, head);
    if (params === null) return;
    // After the signature check (Twilio signs what it sent): every parameter a handler sees can be stored.
    const parsed = schema.safeParse(storableStrings(params));
    if (!parsed.success) {
      deps.metrics.count(route.invalidCounter);
      answer(res, state, onInvalid(parsed.error));
      return;
    }
    answer(res, state, await route.handle(parsed.data, { base: head.base }));
  }

  function fail(res: HttpResponse, state: { aborted: boolean }, error: unknown): void {
    const status = httpStatusOf(error);
    if (route.errorCounter !== undefined) deps.metrics.count(route.errorCounter);
    const level = status >= 500 ? 'error' : 'warn';
    deps.logger[level]({ route: path, status, err: reasonOf(error) }, 'twilio webhook failed');
    respondText(res, state, status, errorBody(status, error));
  }

  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false };
    void serve(res, req, state).catch((error: unknown) => fail(res, state, error));
  };
}

function answer(res: HttpResponse, state: { aborted: boolean }, reply: WebhookAnswer): void {
  if (typeof reply === 'string') respondXml(res, state, 200, reply);
  else respond(res, state, reply.status, reply.contentType, reply.body);
}

function badRequest(error: z.ZodError): WebhookAnswer {
  return { status: 400, contentType: TEXT_PLAIN, body: error.issues[0]?.message ?? 'invalid webhook' };
}

const ERROR_BODY: Record<number, string> = { 404: 'not found', 502: 'bad gateway' };

/** A BadInputError's message is written for the client; any other error tells only its status. */
function errorBody(status: number, error: unknown): string {
  if (error instanceof BadInputError) return error.message;
  return ERROR_BODY[status] ?? 'internal error';
}
