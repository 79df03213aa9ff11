import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson as send } from './chatCompletions.js';

/** How the fake answers `POST /v1/audio/transcriptions`. */
export type TranscriptionMode = 'ok' | 'http-500' | 'rate-limited' | 'timeout' | 'malformed';

/** What a test can assert about a transcription request the fake received. */
export interface RecordedTranscriptionRequest {
  model: string | null;
  /** The uploaded file's name, MIME type (as the multipart part said), size and sha256 (hex); null without a file. */
  filename: string | null;
  fileType: string | null;
  fileSize: number | null;
  sha256: string | null;
  prompt: string | null;
  responseFormat: string | null;
  authorization: string | undefined;
}

/** The text the fake "hears" in a request; `audio` is the uploaded file's bytes. */
export type TranscriptionResponder = (request: RecordedTranscriptionRequest, audio: Buffer) => string | Promise<string>;

export interface FakeTranscriptions {
  /** In order of arrival; a test may empty it between cases. */
  readonly requests: RecordedTranscriptionRequest[];
  /** The default responder answers `text` for exactly these audio bytes (and '' for audio it does not know). */
  addTranscript(audio: Buffer, text: string): void;
  /** Replaces the default responder; null restores it. */
  setResponder(responder: TranscriptionResponder | null): void;
  setMode(mode: TranscriptionMode): void;
}

/** The fake's transcription endpoint: the router calls `handle`, which answers every request itself. */
export interface TranscriptionEndpoint extends FakeTranscriptions {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** OpenAI refuses bodies above 25 MiB with 413 ("Maximum content size limit (26214400) exceeded"). */
const MAX_BODY_BYTES = 26_214_400;

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function createTranscriptionEndpoint(options: { apiKey: string | undefined }): TranscriptionEndpoint {
  const requests: RecordedTranscriptionRequest[] = [];
  const transcripts = new Map<string, string>();
  const byAudio: TranscriptionResponder = (request) => (request.sha256 === null ? '' : (transcripts.get(request.sha256) ?? ''));
  let responder = byAudio;
  let mode: TranscriptionMode = 'ok';

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      req.resume();
      return send(res, 401, apiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    const body = await readBody(req);
    if (body === null) {
      return send(res, 413, apiError(`Maximum content size limit (${MAX_BODY_BYTES}) exceeded.`, 'server_error', null));
    }
    let form: FormData;
    try {
      // undici's multipart parser, the one behind fetch: the boundary and parts are read as a real server would.
      const headers = { 'content-type': req.headers['content-type'] ?? '' };
      form = await new Request('http://fake.local/v1/audio/transcriptions', { method: 'POST', headers, body }).formData();
    } catch {
      return send(res, 400, apiError('Could not parse multipart form', 'invalid_request_error', null));
    }
    const file = form.get('file');
    const audio = file instanceof Blob ? Buffer.from(await file.arrayBuffer()) : null;
    const request: RecordedTranscriptionRequest = {
      model: textField(form, 'model'),
      filename: file instanceof File ? file.name : null,
      fileType: file instanceof Blob ? file.type : null,
      fileSize: audio === null ? null : audio.length,
      sha256: audio === null ? null : sha256Hex(audio),
      prompt: textField(form, 'prompt'),
      responseFormat: textField(form, 'response_format'),
      authorization: req.headers.authorization,
    };
    requests.push(request);
    if (request.model === null) return send(res, 400, apiError('you must provide a model parameter', 'invalid_request_error', null, 'model'));
    if (audio === null) return send(res, 400, apiError("Missing required parameter: 'file'.", 'invalid_request_error', null, 'file'));
    const format = request.responseFormat ?? 'json';
    if (format !== 'json' && format !== 'text') {
      return send(res, 400, apiError(`response_format '${format}' is not supported by the fake`, 'invalid_request_error', null, 'response_format'));
    }
    switch (mode) {
      case 'http-500':
        return send(res, 500, apiError('The server had an error while processing your request.', 'server_error', null));
      case 'rate-limited':
        res.setHeader('retry-after', '1');
        return send(res, 429, apiError('Rate limit reached for requests.', 'requests', 'rate_limit_exceeded'));
      case 'timeout':
        // Never answer: the client's timeout has to fire. The server's close() destroys the socket.
        return;
      case 'malformed':
        return send(res, 200, { transcript: 'not the field the API answers' });
      case 'ok': {
        const text = await responder(request, audio);
        if (format === 'text') return sendText(res, `${text}\n`);
        return send(res, 200, { text, usage: { type: 'duration', seconds: Math.ceil(audio.length / 16_000) } });
      }
    }
  };

  return {
    requests,
    addTranscript: (audio, text) => void transcripts.set(sha256Hex(audio), text),
    setResponder: (next) => {
      responder = next ?? byAudio;
    },
    setMode: (next) => {
      mode = next;
    },
    handle: (req, res) =>
      answer(req, res).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!res.headersSent) send(res, 500, apiError(`fake transcription failed: ${message}`, 'server_error', null));
      }),
  };
}

function textField(form: FormData, name: string): string | null {
  const value = form.get(name);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The whole body, or null once it passes MAX_BODY_BYTES (the rest is drained unread). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

function apiError(message: string, type: string, code: string | null, param: string | null = null): Record<string, unknown> {
  return { error: { message, type, param, code } };
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
