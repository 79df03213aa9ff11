import { request } from 'node:http';
import twilio from 'twilio';
import { startVoiceLab, type VoiceLab, type VoiceLabOptions } from '../../src/demo/voiceLab.js';
import { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import { httpUrlFor, streamUrlFor } from '../../src/twilio/signature.js';
import { ROUTES } from '../../src/http/routes.js';
import type { TestDatabase } from '../support/testDatabase.js';

/** Production mode for tests: a Twilio auth token and a public URL that is not where the server listens. */
export const AUTH_TOKEN = 'test-twilio-auth-token-5f1c0ffee';
export const PUBLIC_URL = 'https://voice.psb.example';

/** A voice lab in production mode on the test database. */
export function startSignedLab(database: TestDatabase, options: Partial<VoiceLabOptions> = {}): Promise<VoiceLab> {
  return startVoiceLab({
    ...options,
    env: { ...database.env, TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_URL, ...options.env },
    logger: options.logger ?? database.logger,
    overrides: { db: database.db, ...options.overrides },
  });
}

/** Twilio's voice webhook form for a call. */
export const callForm = (callSid: string, from = '+14045550111'): Record<string, string> => ({
  AccountSid: 'AC00000000000000000000000000000000',
  CallSid: callSid,
  From: from,
  To: '+18005550100',
  CallStatus: 'ringing',
  Direction: 'inbound',
});

/** Twilio's signature of a POST to `path` under `publicUrl` with these parameters. */
export const signPost = (path: string, params: Record<string, string>, publicUrl = PUBLIC_URL, token = AUTH_TOKEN): string =>
  twilio.getExpectedTwilioSignature(token, httpUrlFor(publicUrl, path), params);

/** Twilio's signature of the stream upgrade. */
export const signUpgrade = (publicUrl = PUBLIC_URL, token = AUTH_TOKEN): string =>
  twilio.getExpectedTwilioSignature(token, streamUrlFor(publicUrl, ROUTES.stream), {});

/** Posts a form to the lab server with any headers (Host included, which fetch cannot set). */
export function postForm(
  lab: VoiceLab,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams(params).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: lab.app.port,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The `<Parameter>`s of the TwiML's `<Stream>`, as Twilio would send them back in `start.customParameters`. */
export function streamParameters(twiml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of twiml.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g)) out[match[1] ?? ''] = match[2] ?? '';
  return out;
}

/** Opens the media stream to the lab as Twilio would (signature header, custom parameters from the TwiML). */
export function connectSigned(
  lab: VoiceLab,
  options: { callSid: string; from?: string; signature?: string | null; parameters?: Record<string, string>; path?: string; autoStart?: boolean },
): Promise<FakeTwilioCaller> {
  const signature = options.signature === undefined ? signUpgrade() : options.signature;
  return FakeTwilioCaller.connect({
    url: `ws://127.0.0.1:${lab.app.port}${options.path ?? ROUTES.stream}`,
    callSid: options.callSid,
    from: options.from ?? '+14045550111',
    realTime: false,
    headers: signature === null ? {} : { 'x-twilio-signature': signature },
    ...(options.parameters ? { customParameters: options.parameters } : {}),
    ...(options.autoStart === undefined ? {} : { autoStart: options.autoStart }),
  });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
