import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTwilioApi, type FakeTwilioApi } from '../../src/fakes/fakeTwilioApi.js';
import { wavOf } from '../support/wav.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token';
const SID = 'RE11111111111111111111111111111111';
const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}` };
const wav = wavOf(1_000);

let twilio: FakeTwilioApi;
let recordingUrl: string;

beforeAll(async () => {
  twilio = await startFakeTwilioApi({ accountSid: ACCOUNT, authToken: TOKEN });
  recordingUrl = twilio.addRecording(SID, wav);
});
afterAll(async () => {
  await twilio.close();
});
beforeEach(() => {
  twilio.requests.length = 0;
});

describe('fake Twilio recordings API', () => {
  it("gives the RecordingUrl Twilio's webhook sends, and serves its .wav with Basic auth", async () => {
    expect(recordingUrl).toBe(`${twilio.baseUrl}/2010-04-01/Accounts/${ACCOUNT}/Recordings/${SID}`);
    const response = await fetch(`${recordingUrl}.wav`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/x-wav');
    expect(response.headers.get('content-length')).toBe(String(wav.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(wav)).toBe(true);
    expect(twilio.requests[0]).toMatchObject({ method: 'GET', status: 200, bytesSent: wav.length, completed: true });
  });

  it('answers 401 with a Twilio error and WWW-Authenticate without the right credentials', async () => {
    const wrong = `Basic ${Buffer.from(`${ACCOUNT}:nope`).toString('base64')}`;
    for (const headers of [{}, { authorization: wrong }] as Array<Record<string, string>>) {
      const response = await fetch(`${recordingUrl}.wav`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
      expect(await response.json()).toMatchObject({ code: 20003, status: 401 });
    }
  });

  it('answers 404 for an unknown recording, another account, .mp3 and other paths', async () => {
    const urls = [
      `${recordingUrl.replace(SID, 'RE0')}.wav`,
      `${recordingUrl.replace(ACCOUNT, 'AC0')}.wav`,
      `${recordingUrl}.mp3`,
      `${twilio.baseUrl}/2010-04-01/Accounts/${ACCOUNT}/Calls.json`,
    ];
    for (const url of urls) {
      const response = await fetch(url, { headers: auth });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
    }
  });

  it('serves the media URL without auth', async () => {
    const response = await fetch(`${twilio.baseUrl}/media/${SID}.wav`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(wav)).toBe(true);
  });

  it('applies one queued fault per request, then answers normally', async () => {
    twilio.failNext(
      { kind: 'status', status: 503 },
      { kind: 'redirect', location: '/media/x.wav', status: 307 },
      { kind: 'contentType', contentType: 'audio/mpeg' },
      { kind: 'noLength' },
    );
    const get = () => fetch(`${recordingUrl}.wav`, { headers: auth, redirect: 'manual' });
    expect((await get()).status).toBe(503);
    const redirect = await get();
    expect([redirect.status, redirect.headers.get('location')]).toEqual([307, '/media/x.wav']);
    expect((await get()).headers.get('content-type')).toBe('audio/mpeg');
    const chunked = await get();
    expect(chunked.headers.get('content-length')).toBeNull();
    expect((await chunked.arrayBuffer()).byteLength).toBe(wav.length);
    expect((await get()).status).toBe(200);
  });

  it('holds a slow answer, and stalls half way through a body', async () => {
    twilio.failNext({ kind: 'slow', delayMs: 150 });
    const startedAt = Date.now();
    await (await fetch(`${recordingUrl}.wav`, { headers: auth })).arrayBuffer();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);

    twilio.failNext({ kind: 'stall' });
    const response = await fetch(`${recordingUrl}.wav`, { headers: auth, signal: AbortSignal.timeout(200) });
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(twilio.requests[1]).toMatchObject({ bytesSent: Math.floor(wav.length / 2), completed: false });
  });
});
