import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fakes/fakeOpenAI.js';
import {
  DEFAULT_TRANSCRIPTION_MODEL,
  transcribeRecording,
  TranscriptionError,
} from '../../src/voicemail/transcribeRecording.js';
import { wavOf } from '../support/wav.js';

const KEY = 'sk-test-transcribe';
const MESSAGE = 'Hi, this is John Smith, my zip code is 30301, my number is 404 555 0123, I have a 2018 Honda CRF250R.';
const audio = wavOf(3_000);

let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
  client = new OpenAI({ apiKey: KEY, baseURL: fake.httpUrl, maxRetries: 0 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.transcriptions.requests.length = 0;
  fake.transcriptions.setMode('ok');
  fake.transcriptions.setResponder(null);
});

async function failure(promise: Promise<unknown>): Promise<TranscriptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TranscriptionError);
  return error as TranscriptionError;
}

describe('transcribeRecording', () => {
  it('uploads the WAV as multipart with the model and returns the text', async () => {
    fake.transcriptions.addTranscript(audio, MESSAGE);
    const result = await transcribeRecording({ client, audio });
    expect(result).toEqual({ text: MESSAGE });
    expect(fake.transcriptions.requests).toEqual([
      {
        model: DEFAULT_TRANSCRIPTION_MODEL,
        filename: 'voicemail.wav',
        fileType: 'audio/wav',
        fileSize: audio.length,
        sha256: createHash('sha256').update(audio).digest('hex'),
        prompt: null,
        responseFormat: 'json',
        authorization: `Bearer ${KEY}`,
      },
    ]);
  });

  it('sends the model and prompt it is given', async () => {
    fake.transcriptions.setResponder((request) => `heard ${request.fileSize} bytes`);
    const result = await transcribeRecording({ client, audio, model: 'gpt-4o-mini-transcribe', prompt: 'Vehicle makes: Honda, Polaris.' });
    expect(result.text).toBe(`heard ${audio.length} bytes`);
    expect(fake.transcriptions.requests[0]).toMatchObject({ model: 'gpt-4o-mini-transcribe', prompt: 'Vehicle makes: Honda, Polaris.' });
  });

  it('returns empty text for audio the fake has no transcript for', async () => {
    expect(await transcribeRecording({ client, audio: wavOf(500, 300) })).toEqual({ text: '' });
  });

  it('maps a wrong key to unauthorized', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.httpUrl, maxRetries: 0 });
    const error = await failure(transcribeRecording({ client: wrong, audio }));
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, retryable: false });
    expect(error.message).toBe('OpenAI transcription: 401');
  });

  it.each([
    ['http-500', { kind: 'server', status: 500, retryable: true }],
    ['rate-limited', { kind: 'rate_limited', status: 429, retryable: true }],
    ['malformed', { kind: 'malformed', status: undefined, retryable: false }],
  ] as const)('maps the fake in mode %s', async (mode, expected) => {
    fake.transcriptions.setMode(mode);
    expect(await failure(transcribeRecording({ client, audio }))).toMatchObject(expected);
  });

  it('maps a 400 to bad_request', async () => {
    // An empty model name goes as an empty field, which the API refuses like a missing one.
    const error = await failure(transcribeRecording({ client, audio, model: '' }));
    expect(error).toMatchObject({ kind: 'bad_request', status: 400, retryable: false });
  });

  it('times out with the request timeout', async () => {
    fake.transcriptions.setMode('timeout');
    expect(await failure(transcribeRecording({ client, audio, timeoutMs: 100 }))).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it("is aborted by the caller's signal", async () => {
    fake.transcriptions.setMode('timeout');
    const controller = new AbortController();
    const pending = transcribeRecording({ client, audio, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await failure(pending)).toMatchObject({ kind: 'aborted' });
  });

  it('maps a server that cannot be reached to network', async () => {
    const gone = await startFakeOpenAI();
    const url = gone.httpUrl;
    await gone.close();
    const unreachable = new OpenAI({ apiKey: KEY, baseURL: url, maxRetries: 0 });
    expect(await failure(transcribeRecording({ client: unreachable, audio }))).toMatchObject({ kind: 'network', retryable: true });
  });
});
