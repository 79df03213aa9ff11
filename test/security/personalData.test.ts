import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_NPA_PASSWORD, LAB_OPENAI_KEY, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { createLogger } from '../../src/log.js';
import { ROUTES } from '../../src/http/routes.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sampleCall } from './sampleCall.js';
import { AUTH_TOKEN, callForm, connectSigned, postForm, signPost, startSignedLab, streamParameters } from './signedLab.js';

/** Every log line written, as text. */
class MemoryStream extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer | string, _encoding: string, done: () => void): void {
    this.chunks.push(String(chunk));
    done();
  }
  text(): string {
    return this.chunks.join('');
  }
}

/**
 * Full calls in production mode with logging at `debug`, the way an operator would turn it up while investigating:
 * none of the caller's details and no secret may appear in the log output, the TwiML or the saved error messages.
 */
describe('personal data and secrets stay out of logs and answers', () => {
  const call = sampleCall();
  const logs = new MemoryStream();
  let database: TestDatabase;
  let lab: VoiceLab;
  const twimls: string[] = [];

  async function signedCall(callSid: string): Promise<void> {
    lab.openai.enqueueScript(scriptFromTranscript(call));
    const form = callForm(callSid, call.callerPhone ?? '');
    const response = await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) });
    twimls.push(response.body);
    const caller = await connectSigned(lab, { callSid, from: call.callerPhone ?? '', parameters: streamParameters(response.body) });
    caller.startStreaming();
    await lab.outcomeOf(callSid);
    await caller.closed;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    // The app opens its own ORM with the debug logger, so database logging is captured too.
    lab = await startSignedLab(database, { logger: createLogger('debug', logs), env: { LOG_LEVEL: 'debug' }, overrides: {} });
    await signedCall('CApii000000000000000000000000000001');
    // A second call where everything downstream fails: error paths log too.
    lab.npa.setMode('unauthorized');
    lab.openai.chatMode('http-500');
    await signedCall('CApii000000000000000000000000000002');
    // And a forged request.
    await postForm(lab, ROUTES.voiceWebhook, callForm('CApii000000000000000000000000000003', call.callerPhone ?? ''), { 'x-twilio-signature': 'forged' });
  }, 60_000);
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('logged the calls (the capture works)', () => {
    const text = logs.text();
    expect(text).toContain('"event":"call_started"');
    expect(text).toContain('CApii000000000000000000000000000001');
    expect(text).toContain('"level":20'); // debug lines were written
  });

  it('logs none of the caller’s details: name, phone digits, ZIP, vehicle, transcript text', () => {
    const text = logs.text();
    const digits = (call.callerPhone ?? '').replace(/\D/g, '').slice(1);
    const forbidden = [
      'John',
      'Carter',
      digits,
      `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`,
      '555-0111',
      '5550111',
      '30093',
      'Street Glide',
      ...call.turns.filter((t) => t.role === 'user' && t.text.length > 8).map((t) => t.text),
      'What\'s your ZIP code',
    ];
    for (const value of forbidden) expect(text, `log output contains ${JSON.stringify(value)}`).not.toContain(value);
  });

  it('logs no secret: Twilio auth token, NPA password (plain or in a Basic header), OpenAI key', () => {
    const text = logs.text();
    const basic = Buffer.from(`lab:${LAB_NPA_PASSWORD}`).toString('base64');
    for (const secret of [AUTH_TOKEN, LAB_NPA_PASSWORD, basic, LAB_OPENAI_KEY]) {
      expect(text, `log output contains a secret`).not.toContain(secret);
    }
  });

  it('puts no secret in the TwiML or in the saved failure reasons', async () => {
    const basic = Buffer.from(`lab:${LAB_NPA_PASSWORD}`).toString('base64');
    const failed = await lab.app.repos.failed.list();
    expect(failed.length).toBeGreaterThan(0);
    const texts = [...twimls, ...failed.map((f) => f.errorMessage)];
    for (const text of texts) {
      for (const secret of [AUTH_TOKEN, LAB_NPA_PASSWORD, basic, LAB_OPENAI_KEY]) expect(text).not.toContain(secret);
    }
  });
});
