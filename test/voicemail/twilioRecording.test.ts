import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeTwilioApi, type FakeTwilioApi } from '../../src/fakes/fakeTwilioApi.js';
import {
  fetchTwilioRecording,
  TwilioRecordingError,
  type FetchTwilioRecordingOptions,
} from '../../src/voicemail/twilioRecording.js';
import { wavOf } from '../support/wav.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token';
const RECORDING = 'RE11111111111111111111111111111111';
const BIG = 'RE22222222222222222222222222222222';
const basic = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`;

const wav = wavOf(2_000);
/** 16 MB: more than loopback socket buffers hold, so a client that stops reading leaves most of it unsent. */
const bigWav = wavOf(1_000_000);

let twilio: FakeTwilioApi;
let recordingUrl: string;
let bigUrl: string;

/** A second origin on this machine, to redirect to; it counts the requests it gets. */
let other: Server;
let otherUrl: string;
let otherRequests = 0;

beforeAll(async () => {
  twilio = await startFakeTwilioApi({ accountSid: ACCOUNT, authToken: TOKEN });
  recordingUrl = twilio.addRecording(RECORDING, wav);
  bigUrl = twilio.addRecording(BIG, bigWav);
  other = createServer((_req, res) => {
    otherRequests++;
    res.writeHead(200, { 'content-type': 'audio/x-wav' }).end(wav);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await twilio.close();
  other.closeAllConnections();
  await new Promise<void>((resolve) => other.close(() => resolve()));
});
beforeEach(() => {
  twilio.requests.length = 0;
  otherRequests = 0;
});

const fetchIt = (overrides: Partial<FetchTwilioRecordingOptions> = {}) =>
  fetchTwilioRecording({ recordingUrl, accountSid: ACCOUNT, authToken: TOKEN, apiBase: twilio.baseUrl, timeoutMs: 5_000, ...overrides });

async function failure(promise: Promise<unknown>): Promise<TwilioRecordingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TwilioRecordingError);
  return error as TwilioRecordingError;
}

describe('fetchTwilioRecording', () => {
  it('GETs {RecordingUrl}.wav with Basic auth and returns the WAV bytes', async () => {
    const recording = await fetchIt();
    expect(recording.contentType).toBe('audio/wav');
    expect(recording.audio.equals(wav)).toBe(true);
    expect(twilio.requests).toMatchObject([
      { method: 'GET', path: `/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}.wav`, authorization: basic, status: 200 },
    ]);
  });

  it('maps a wrong token to unauthorized, not retryable', async () => {
    const error = await failure(fetchIt({ authToken: 'wrong' }));
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, retryable: false });
    expect(error.message).toBe('Twilio recording: 401 Unauthorized');
  });

  it('maps an unknown recording to not_found, retryable (Twilio may still be processing it)', async () => {
    const unknown = recordingUrl.replace(RECORDING, 'RE99999999999999999999999999999999');
    const error = await failure(fetchIt({ recordingUrl: unknown }));
    expect(error).toMatchObject({ kind: 'not_found', status: 404, retryable: true });
  });

  it('maps a 500 to a retryable http_status, and the next try succeeds', async () => {
    twilio.failNext({ kind: 'status', status: 500 });
    expect(await failure(fetchIt())).toMatchObject({ kind: 'http_status', status: 500, retryable: true });
    expect((await fetchIt()).audio.equals(wav)).toBe(true);
  });

  it('refuses a body that is not audio/wav', async () => {
    twilio.failNext({ kind: 'contentType', contentType: 'text/html; charset=utf-8' });
    const error = await failure(fetchIt());
    expect(error).toMatchObject({ kind: 'wrong_content_type', retryable: false });
    expect(error.message).toContain('text/html');
  });

  it('refuses a declared Content-Length above maxBytes without reading the body', async () => {
    const error = await failure(fetchIt({ recordingUrl: bigUrl, maxBytes: 64 * 1024 }));
    expect(error).toMatchObject({ kind: 'too_large', retryable: false });
    await vi.waitFor(() => expect(twilio.requests[0]?.closed).toBe(true));
    expect(twilio.requests[0]).toMatchObject({ completed: false });
    expect(twilio.requests[0]!.bytesSent).toBeLessThan(bigWav.length / 2);
  });

  it('stops reading an undeclared body as soon as it passes maxBytes', async () => {
    twilio.failNext({ kind: 'noLength' });
    const error = await failure(fetchIt({ recordingUrl: bigUrl, maxBytes: 64 * 1024 }));
    expect(error).toMatchObject({ kind: 'too_large', retryable: false });
    await vi.waitFor(() => expect(twilio.requests[0]?.closed).toBe(true));
    expect(twilio.requests[0]).toMatchObject({ completed: false });
    expect(twilio.requests[0]!.bytesSent).toBeLessThan(bigWav.length / 2);
  });

  it('reads a body of exactly maxBytes', async () => {
    twilio.failNext({ kind: 'noLength' });
    expect((await fetchIt({ maxBytes: wav.length })).audio.length).toBe(wav.length);
  });

  it.each([
    ['another host', () => `https://evil.example/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`],
    ['api.twilio.com when the base is the fake', () => `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`],
    ['a URL that starts with the base', () => `${twilio.baseUrl}@evil.example/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`],
    ['another account', () => recordingUrl.replace(ACCOUNT, 'ACffffffffffffffffffffffffffffffff')],
  ])('refuses %s before any request', async (_what, url) => {
    const error = await failure(fetchIt({ recordingUrl: url() }));
    expect(error).toMatchObject({ kind: 'url_refused', retryable: false });
    expect(twilio.requests).toHaveLength(0);
  });

  it('only talks to api.twilio.com by default', async () => {
    const error = await failure(fetchTwilioRecording({ recordingUrl, accountSid: ACCOUNT, authToken: TOKEN }));
    expect(error.message).toBe('Twilio recording: URL refused: not the Twilio API host');
    expect(twilio.requests).toHaveLength(0);
  });

  it('follows a redirect within the API origin, credentials kept', async () => {
    twilio.failNext({ kind: 'redirect', location: `/media/${RECORDING}.wav`, status: 302 });
    const recording = await fetchIt();
    expect(recording.audio.equals(wav)).toBe(true);
    expect(twilio.requests.map((r) => [r.path, r.status, r.authorization])).toEqual([
      [`/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}.wav`, 302, basic],
      [`/media/${RECORDING}.wav`, 200, basic],
    ]);
  });

  it('refuses a redirect to plain http on another origin, which never sees a request', async () => {
    twilio.failNext({ kind: 'redirect', location: `${otherUrl}/media/${RECORDING}.wav` });
    const error = await failure(fetchIt());
    expect(error).toMatchObject({ kind: 'redirect_refused', status: 302, retryable: false });
    expect(error.message).not.toContain(otherUrl);
    expect(otherRequests).toBe(0);
  });

  it('gives up after three redirects', async () => {
    const loop = { kind: 'redirect', location: `/media/${RECORDING}.wav` } as const;
    twilio.failNext(loop, loop, loop, loop);
    const error = await failure(fetchIt());
    expect(error).toMatchObject({ kind: 'redirect_refused' });
    expect(error.message).toContain('too many redirects');
    expect(twilio.requests).toHaveLength(4);
  });

  it('times out on slow headers and on a stalled body', async () => {
    twilio.failNext({ kind: 'slow', delayMs: 2_000 });
    expect(await failure(fetchIt({ timeoutMs: 100 }))).toMatchObject({ kind: 'timeout', retryable: true });
    twilio.failNext({ kind: 'stall' });
    expect(await failure(fetchIt({ timeoutMs: 200 }))).toMatchObject({ kind: 'timeout', retryable: true });
    expect(twilio.requests[1]!.bytesSent).toBe(Math.floor(wav.length / 2));
  });

  it("is aborted by the caller's signal, before or during the request", async () => {
    const before = new AbortController();
    before.abort();
    expect(await failure(fetchIt({ signal: before.signal }))).toMatchObject({ kind: 'aborted' });
    expect(twilio.requests).toHaveLength(0);

    const during = new AbortController();
    twilio.failNext({ kind: 'slow', delayMs: 2_000 });
    const pending = fetchIt({ signal: during.signal });
    await vi.waitFor(() => expect(twilio.requests).toHaveLength(1));
    during.abort();
    expect(await failure(pending)).toMatchObject({ kind: 'aborted' });
  });

  it('maps a refused connection to network, retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `${base}/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`;
    expect(await failure(fetchIt({ recordingUrl: url, apiBase: base }))).toMatchObject({ kind: 'network', retryable: true });
  });
});
