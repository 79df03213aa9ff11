import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { GREETING } from '../../src/realtime/agentInstructions.js';
import type { Script } from '../../src/fakes/fakeOpenAI.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * The caller hears the greeting at once: the webhook pre-warms the model session and asks for the greeting as soon
 * as it is configured; its audio is held until Twilio's `start` and leaves the moment the stream attaches. Timed
 * with generous bounds (the bench reports the figures): the model answers its first audio 400 ms after
 * `response.create`, Twilio's stream starts 600 ms after the webhook.
 */
const MODEL_FIRST_AUDIO_MS = 400;
const STREAM_AFTER_WEBHOOK_MS = 600;
/** The target is 50 ms; the bound is generous so a loaded CI machine does not fail it. Before: 400 ms at least. */
const GREETING_BOUND_MS = 200;

let database: TestDatabase;
let lab: VoiceLab;
let n = 0;
const sid = () => `CAgreet${String(++n).padStart(27, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
});
afterAll(async () => {
  await lab?.close();
  await database?.close();
});

const script: Script = [{ agent: GREETING, firstAudioDelayMs: MODEL_FIRST_AUDIO_MS }, { caller: 'Bye.' }, { agent: 'Goodbye.' }, { endCall: true }];

/** Webhook, then Twilio's stream after `gapMs`; the time from `start` to the first agent frame the caller got. */
async function greetingWait(gapMs: number): Promise<{ ms: number; callSid: string }> {
  const callSid = sid();
  lab.openai.enqueueScript(script);
  await lab.webhook(callSid, '+14045550100');
  if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
  const caller = await lab.connectCaller(callSid, '+14045550100');
  caller.startStreaming();
  const deadline = performance.now() + 5_000;
  while (caller.received.media.length === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  const ms = caller.timeToGreetingMs();
  if (ms === null) throw new Error('no agent audio reached the caller');
  await caller.hangUp();
  await lab.outcomeOf(callSid);
  return { ms, callSid };
}

describe('time to greeting through the real server', () => {
  it(`is at once when the stream comes ${STREAM_AFTER_WEBHOOK_MS} ms after the webhook (model first audio ${MODEL_FIRST_AUDIO_MS} ms)`, async () => {
    const { ms, callSid } = await greetingWait(STREAM_AFTER_WEBHOOK_MS);
    expect(ms, `first agent frame ${ms.toFixed(1)} ms after start`).toBeLessThan(GREETING_BOUND_MS);
    const session = await lab.app.repos.sessions.getByKey(callSid);
    expect(session).not.toBeNull();
  });

  it('still starts within the model delay when the stream comes with the webhook', async () => {
    const { ms } = await greetingWait(0);
    expect(ms, `first agent frame ${ms.toFixed(1)} ms after start`).toBeLessThan(MODEL_FIRST_AUDIO_MS + GREETING_BOUND_MS);
  });
});
