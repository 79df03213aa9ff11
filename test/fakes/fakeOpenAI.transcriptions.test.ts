import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fakes/fakeOpenAI.js';
import { wavOf } from '../support/wav.js';

const KEY = 'sk-test-fake';
const audio = wavOf(1_000);

let fake: FakeOpenAI;
let endpoint: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
  endpoint = `${fake.httpUrl}/audio/transcriptions`;
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.transcriptions.requests.length = 0;
  fake.transcriptions.setMode('ok');
  fake.transcriptions.setResponder(null);
});

/** A multipart upload the way any client builds one: fetch's own FormData. */
function upload(fields: Record<string, string>, file: Buffer | null = audio, key = KEY): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  if (file !== null) form.set('file', new Blob([file], { type: 'audio/wav' }), 'message.wav');
  return fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
}

describe('fake OpenAI transcriptions', () => {
  it('parses the multipart upload, records it, and answers the transcript registered for the audio', async () => {
    fake.transcriptions.addTranscript(audio, 'Hello there.');
    const response = await upload({ model: 'gpt-4o-transcribe', prompt: 'names', response_format: 'json' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ text: 'Hello there.' });
    expect(fake.transcriptions.requests[0]).toMatchObject({
      model: 'gpt-4o-transcribe',
      filename: 'message.wav',
      fileType: 'audio/wav',
      fileSize: audio.length,
      prompt: 'names',
      responseFormat: 'json',
    });
  });

  it('answers plain text for response_format=text, and empty text for unknown audio', async () => {
    const response = await upload({ model: 'gpt-4o-transcribe', response_format: 'text' }, wavOf(200, 900));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('\n');
  });

  it('requires a model and a file (400), and the API key (401)', async () => {
    const noModel = await upload({});
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toMatchObject({ error: { param: 'model', type: 'invalid_request_error' } });
    const noFile = await upload({ model: 'gpt-4o-transcribe' }, null);
    expect(noFile.status).toBe(400);
    expect(await noFile.json()).toMatchObject({ error: { param: 'file' } });
    expect((await upload({ model: 'gpt-4o-transcribe' }, audio, 'sk-wrong')).status).toBe(401);
    // The 401 is answered before the body is read, so only the two 400s were recorded.
    expect(fake.transcriptions.requests).toHaveLength(2);
  });

  it('refuses a body that is not multipart', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-transcribe"}',
    });
    expect(response.status).toBe(400);
  });

  it('fails the way the mode says, and reports a throwing responder as a 500', async () => {
    fake.transcriptions.setMode('rate-limited');
    const limited = await upload({ model: 'gpt-4o-transcribe' });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '1']);
    fake.transcriptions.setMode('malformed');
    expect(await (await upload({ model: 'gpt-4o-transcribe' })).json()).not.toHaveProperty('text');
    fake.transcriptions.setMode('ok');
    fake.transcriptions.setResponder(() => {
      throw new Error('no idea');
    });
    const failed = await upload({ model: 'gpt-4o-transcribe' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { message: 'fake transcription failed: no idea' } });
  });
});
