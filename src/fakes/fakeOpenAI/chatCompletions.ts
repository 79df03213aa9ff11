import type { IncomingMessage, ServerResponse } from 'node:http';
import { emptyLead, type Conversation, type ExtractionResult } from '../../leads/lead.js';
import { parseConversationFromModelInput } from '../../extraction/llmExtractor.js';

/** How the fake answers `POST /v1/chat/completions`. */
export type ChatMode = 'ok' | 'http-500' | 'timeout' | 'malformed-json' | 'schema-violation' | 'refusal';

/** Produces the lead object the fake model "extracts"; its JSON becomes the message content. */
export type ChatResponder = (requestBody: ChatRequestBody) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** The parts of a Chat Completions request the fake reads. */
export interface ChatRequestBody {
  model?: unknown;
  temperature?: unknown;
  response_format?: unknown;
  messages?: unknown;
  [key: string]: unknown;
}

/** What a test can assert about a request the fake received. */
export interface RecordedChatRequest {
  model: unknown;
  temperature: unknown;
  response_format: unknown;
  messages: unknown;
  body: ChatRequestBody;
  authorization: string | undefined;
}

/** The default responder: a lead with nothing in it. */
export const emptyLeadResponder: ChatResponder = () => emptyLead();

/**
 * The conversation the extractor sent, read back from the request's user message, so a responder (the demo's)
 * can answer with the offline extractor's reading of it. Null when the request has no user message.
 */
export function conversationFromChatRequest(body: ChatRequestBody): Conversation | null {
  if (!Array.isArray(body.messages)) return null;
  const user = (body.messages as Array<{ role?: unknown; content?: unknown }>).find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? parseConversationFromModelInput(user.content) : null;
}

/**
 * A responder that reads the request's transcript with the given extractor (the demo passes the offline one) and
 * answers its lead the way the model writes it: raw strings, the year included.
 */
export function chatResponderFromExtractor(extract: (conversation: Conversation) => ExtractionResult): ChatResponder {
  return (body) => {
    const conversation = conversationFromChatRequest(body);
    if (!conversation) throw new Error('no transcript in the request');
    const { lead } = extract(conversation);
    return { ...lead, vehicle_year: lead.vehicle_year === null ? null : String(lead.vehicle_year) };
  };
}

const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface ChatState {
  mode: ChatMode;
  responder: ChatResponder;
  requests: RecordedChatRequest[];
  apiKey: string | undefined;
}

/** Answer one Chat Completions request the way the real API would, or fail the way `state.mode` says. */
export async function handleChatCompletion(req: IncomingMessage, res: ServerResponse, state: ChatState): Promise<void> {
  if (state.apiKey !== undefined && req.headers.authorization !== `Bearer ${state.apiKey}`) {
    return sendJson(res, 401, apiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
  }
  let body: ChatRequestBody;
  try {
    const parsed: unknown = JSON.parse(await readBody(req));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as ChatRequestBody;
  } catch {
    return sendJson(res, 400, apiError('We could not parse the JSON body of your request.', 'invalid_request_error', null));
  }
  state.requests.push({
    model: body.model,
    temperature: body.temperature,
    response_format: body.response_format,
    messages: body.messages,
    body,
    authorization: req.headers.authorization,
  });
  if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
    return sendJson(res, 400, apiError("Missing required parameter: 'model' or 'messages'.", 'invalid_request_error', null));
  }
  if (body.stream === true) {
    return sendJson(res, 400, apiError('The fake does not stream.', 'invalid_request_error', null));
  }
  switch (state.mode) {
    case 'http-500':
      return sendJson(res, 500, apiError('The server had an error while processing your request.', 'server_error', null));
    case 'timeout':
      // Never answer: the client's timeout has to fire. The server's close() destroys the socket.
      return;
    case 'malformed-json':
      return sendJson(res, 200, completion(body.model, 'Sure! The lead is {full_name: John Carter, zip'));
    case 'schema-violation':
      return sendJson(res, 200, completion(body.model, JSON.stringify({ full_name: 42, zip: '30093' })));
    case 'refusal':
      return sendJson(res, 200, completion(body.model, null, "I'm sorry, I can't help with that."));
    case 'ok': {
      let lead: Record<string, unknown>;
      try {
        lead = await state.responder(body);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return sendJson(res, 500, apiError(`fake chat responder failed: ${message}`, 'server_error', null));
      }
      return sendJson(res, 200, completion(body.model, JSON.stringify(lead)));
    }
  }
}

let completionCounter = 0;

function completion(model: string, content: string | null, refusal: string | null = null): Record<string, unknown> {
  return {
    id: `chatcmpl-fake${++completionCounter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 30, total_tokens: 130 },
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

function apiError(message: string, type: string, code: string | null): Record<string, unknown> {
  return { error: { message, type, param: null, code } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_fake_${Date.now()}`,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
