import { request } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import twilio from 'twilio';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { BadInputError, NotFoundError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/http/metrics.js';
import { listen, type HttpServer } from '../../src/http/server.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../src/http/twilioForm.js';
import { twilioWebhook, type WebhookAnswer } from '../../src/http/twilioWebhook.js';
import { uWS } from '../../src/http/uws.js';

const TOKEN = 'twilio-webhook-test-token';
const PUBLIC_URL = 'https://hooks.psb.example';
const PHONE = '+14045550123';

/** What the test route does, chosen by the form's `Mode`. */
const HookSchema = z.object({
  CallSid: z.string().regex(/^CA[0-9a-f]{4,32}$/, 'CallSid is malformed'),
  Mode: z.enum(['twiml', 'answer', 'bad-input', 'not-found', 'crash', 'slow']),
  From: z.string().optional(),
});

describe('twilioWebhook on a real uWS app', () => {
  const metrics = new Metrics();
  const logLines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  const deps = { config: parseConfig({ TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL }), logger, metrics };
  let slow: { started: () => void; release: Promise<WebhookAnswer> } | undefined;
  let server: HttpServer;

  beforeAll(async () => {
    const app = uWS.App();
    app.post(
      '/hook',
      twilioWebhook({
        deps,
        path: '/hook',
        schema: HookSchema,
        invalidCounter: 'hook_invalid_total',
        errorCounter: 'hook_errors_total',
        // Not async: a synchronous throw must be caught as well as a rejection.
        handle: (input, ctx) => {
          switch (input.Mode) {
            case 'twiml':
              return `<Response><Say>${ctx.base}</Say></Response>`;
            case 'answer':
              return { status: 503, contentType: 'application/json', body: '{"busy":true}' };
            case 'bad-input':
              throw new BadInputError('that mode is not for you');
            case 'not-found':
              throw new NotFoundError('no such call');
            case 'crash':
              throw new Error('boom');
            case 'slow':
              slow?.started();
              return slow?.release ?? '<Response/>';
          }
        },
      }),
    );
    app.post(
      '/lenient',
      twilioWebhook({
        deps,
        path: '/lenient',
        schema: HookSchema,
        invalidCounter: 'lenient_invalid_total',
        onInvalid: () => '<Response><Say>thanks anyway</Say></Response>',
        handle: () => '<Response/>',
      }),
    );
    server = await listen(app, '127.0.0.1', 0);
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    logLines.length = 0;
  });

  const sign = (path: string, params: Record<string, string>) =>
    twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}${path}`, params);

  /** Posts a form, signed unless the headers say otherwise. */
  function post(
    params: Record<string, string>,
    options: { path?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; contentType: string; body: string }> {
    const path = options.path ?? '/hook';
    const body = new URLSearchParams(params).toString();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path,
          agent: false,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            'x-twilio-signature': sign(path, params),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: res.headers['content-type'] ?? '',
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const form = (Mode: string) => ({ CallSid: 'CA0123abcd', Mode, From: PHONE });

  /** The server still answers a good request: nothing that came before broke it. */
  const stillServes = async () => expect((await post(form('twiml'))).status).toBe(200);

  it('answers 415 to a body that is not form-encoded', async () => {
    const response = await post(form('twiml'), { headers: { 'content-type': 'application/json' } });
    expect(response).toMatchObject({ status: 415, body: 'expected application/x-www-form-urlencoded' });
  });

  it('answers 413 to a body over the limit', async () => {
    const response = await post({ ...form('twiml'), Padding: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) });
    expect(response).toMatchObject({ status: 413, body: 'body too large' });
    await stillServes();
  });

  it('answers 403 to a bad signature and counts it', async () => {
    const before = metrics.get('twilio_signature_rejected_total');
    const response = await post(form('twiml'), { headers: { 'x-twilio-signature': sign('/hook', form('answer')) } });
    expect(response).toMatchObject({ status: 403, body: 'invalid signature' });
    expect(metrics.get('twilio_signature_rejected_total')).toBe(before + 1);
  });

  it('answers 400 with the schema’s message and counts the route’s invalid counter', async () => {
    const before = metrics.get('hook_invalid_total');
    const response = await post({ ...form('twiml'), CallSid: 'not-a-sid' });
    expect(response).toMatchObject({ status: 400, contentType: 'text/plain; charset=utf-8', body: 'CallSid is malformed' });
    expect(metrics.get('hook_invalid_total')).toBe(before + 1);
  });

  it('answers what onInvalid says for a route that wants it', async () => {
    const before = metrics.get('lenient_invalid_total');
    const response = await post({ Mode: 'nonsense' }, { path: '/lenient' });
    expect(response).toMatchObject({ status: 200, contentType: 'text/xml', body: '<Response><Say>thanks anyway</Say></Response>' });
    expect(metrics.get('lenient_invalid_total')).toBe(before + 1);
  });

  it('answers the handler’s TwiML with 200 and the handler’s own answer as given', async () => {
    expect(await post(form('twiml'))).toEqual({
      status: 200,
      contentType: 'text/xml',
      body: `<Response><Say>${PUBLIC_URL}</Say></Response>`,
    });
    expect(await post(form('answer'))).toEqual({ status: 503, contentType: 'application/json', body: '{"busy":true}' });
  });

  it.each([
    { mode: 'bad-input', status: 400, body: 'that mode is not for you', level: 40 },
    { mode: 'not-found', status: 404, body: 'not found', level: 40 },
    { mode: 'crash', status: 500, body: 'internal error', level: 50 },
  ])('maps a thrown error ($mode) to $status with one log line and keeps serving', async ({ mode, status, body, level }) => {
    const before = metrics.get('hook_errors_total');
    const response = await post(form(mode));
    expect(response).toMatchObject({ status, body });
    expect(metrics.get('hook_errors_total')).toBe(before + 1);
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({ level, route: '/hook', status, msg: 'twilio webhook failed' });
    // No personal data: neither the form's fields nor the caller's number.
    expect(JSON.stringify(logLines)).not.toContain(PHONE);
    expect(JSON.stringify(logLines)).not.toContain('CA0123abcd');
    await stillServes();
  });

  it('survives a client that goes away before its body arrived', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nCallSid=CA',
    );
    socket.destroy();
    await new Promise((resolve) => socket.once('close', resolve));
    await stillServes();
    expect(logLines).toEqual([]);
  });

  it('survives a client that goes away while the handler works, and writes nothing after', async () => {
    let release: (answer: WebhookAnswer) => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      slow = { started: resolve, release: new Promise((done) => (release = done)) };
    });
    const params = form('slow');
    const body = new URLSearchParams(params).toString();
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `X-Twilio-Signature: ${sign('/hook', params)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await started;
    socket.destroy();
    await new Promise((resolve) => socket.once('close', resolve));
    // A whole request on another connection: by its answer the server has seen the first one close.
    await stillServes();
    release('<Response/>');
    slow = undefined;
    await stillServes();
    expect(logLines).toEqual([]);
  });
});
