import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import type { Script } from '../../src/fakes/fakeOpenAI.js';
import type { CallQuality } from '../../src/calls/callQuality.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { runLeads } from '../support/runLeads.js';

const GREETING =
  'Thanks for calling Power Sport Buyers! I can help you get an offer on your vehicle today, and it only takes a ' +
  'couple of minutes of your time. To get started, may I please have your full name, first and last?';
/** The model's delay before the second phone question: the one silence over 3 s in the call. */
const SLOW_ANSWER_MS = 3300;
/** The fake's timer and the relay's clock start apart by the event's trip: a loaded machine shaves a little off. */
const SLACK_MS = 200;

/**
 * One call whose answers are known, through the real server in real time: the caller barges in on the greeting, the
 * agent reads the ZIP back wrong and is corrected, the phone is asked for twice (and never recorded live), and the
 * model takes 3.3 s over one answer. Its quality record, read back with `leads sessions show --json`, field by field.
 */
/** How far back in the caller's audio the model's speech_started says the barge-in's speech began. */
const SPEECH_BEGAN_MS_AGO = 250;

describe('the quality record of a call, through the real server and the leads command', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({
      env: database.env,
      logger: database.logger,
      // The caller answers 300 ms after the agent's audio was sent, once it has played: only the scripted barge-in
      // talks over the agent.
      openai: { realTime: true, chunkMs: 40, msPerWord: 20, defaultAfterAudioMs: 300 },
      overrides: { db: database.db },
    });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('holds the turns, the barge-in, the dead air, the waits, each field\'s attempts, corrections and agreement', async () => {
    const callSid = 'CAquality00000000000000000000000001';
    const script: Script = [
      { agent: GREETING, msPerWord: 60 },
      { bargeIn: true, afterAgentAudioMs: 600, speechBeganMsAgo: SPEECH_BEGAN_MS_AGO },
      { caller: 'Sorry, this is John Carter.', afterAudioMs: 200 },
      { agent: 'John Carter, is that right?' },
      { caller: 'Yes.' },
      { recordField: { field: 'full_name', value: 'John Carter' } },
      { agent: "Thanks, John. What's the ZIP code where the vehicle is?" },
      { caller: 'It is 30093.' },
      { agent: 'That is 30098, is that right?' },
      { caller: 'No, it is 30093.' },
      { agent: 'Sorry about that, 30093, correct?' },
      { caller: 'Correct.' },
      { recordField: { field: 'zip_code', value: '30093' } },
      { agent: "Got it. What's the best number to call you back?" },
      { caller: 'Uh, hold on a second.' },
      { agent: "No problem. What's the best phone number to reach you?", firstAudioDelayMs: SLOW_ANSWER_MS },
      { caller: '404-555-0111.' },
      { agent: 'And the year, make and model?' },
      { caller: 'A 2019 Harley Davidson Street Glide.' },
      { agent: 'Thanks, John! A buyer will call you back shortly. Goodbye.' },
      { endCall: true },
    ];
    const { output } = await placeScriptedCall(lab, { callSid, from: '+14045550111', realTime: true, script });
    expect(output).toMatchObject({ outcome: 'succeeded', endReason: 'goodbye' });

    const run = await runLeads(['sessions', 'show', callSid, '--json'], database.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as { phase: string; outcome: string; endReason: string; quality: CallQuality };
    expect(shown).toMatchObject({ phase: 'saved-success', outcome: 'succeeded', endReason: 'goodbye' });
    const quality = shown.quality;
    // What the session row holds is what the command printed.
    const stored = (await lab.app.repos.sessions.getByKey(callSid))?.state as { quality?: unknown };
    expect(stored.quality).toEqual(quality);

    expect(quality.turns).toEqual({ agent: 9, caller: 8 });
    expect(quality.bargeIns).toBe(1);
    expect(quality.deadAir.thresholdMs).toBe(3000);
    expect(quality.deadAir.count).toBe(1);
    expect(quality.deadAir.longestMs).toBeGreaterThanOrEqual(SLOW_ANSWER_MS - SLACK_MS);
    expect(quality.deadAir.longestMs).toBeLessThan(SLOW_ANSWER_MS + 1000);
    // Real time: the greeting, ~1.2 s of audio per turn, 3.3 s of dead air; well under a minute.
    expect(quality.durationMs).toBeGreaterThan(SLOW_ANSWER_MS + 3000);
    expect(quality.durationMs).toBeLessThan(60_000);

    expect(quality.waits.greetingMs).toBeGreaterThanOrEqual(0);
    // One response per caller turn, each the caller's end of speech to the answer's first audio; the slow one is the
    // fifth (the second phone question).
    expect(quality.waits.responseMs).toHaveLength(8);
    expect(quality.waits.responseMs[5]).toBeGreaterThanOrEqual(SLOW_ANSWER_MS - SLACK_MS);
    expect(quality.waits.responseMs.filter((ms) => ms >= SLOW_ANSWER_MS - SLACK_MS)).toHaveLength(1);
    expect(quality.waits.bargeInMs).toHaveLength(1);
    expect(quality.waits.bargeInMs[0]).toBeLessThan(50);
    // The agent talked over the caller from where the speech began to the clear: the VAD's lead, plus the caller
    // audio the relay had forwarded that the model had not counted yet (a frame or two), capped by what had played.
    expect(quality.waits.bargeInHeardMs).toHaveLength(1);
    expect(quality.waits.bargeInHeardMs[0]).toBeGreaterThanOrEqual(SPEECH_BEGAN_MS_AGO);
    expect(quality.waits.bargeInHeardMs[0]).toBeLessThan(SPEECH_BEGAN_MS_AGO + 200);
    // The relay's own part of each answer's latency: its first audio in to its frame out, well under a ms.
    expect(quality.waits.responseRelayMs).toHaveLength(8);
    for (const ms of quality.waits.responseRelayMs) expect(ms).toBeLessThan(20);
    expect(quality.waits.goodbyeMs).toBeGreaterThanOrEqual(0);
    expect(quality.waits.leadDeliveryMs).toBeGreaterThanOrEqual(0);

    expect(quality.fields).toEqual({
      full_name: { attempts: 1, attemptsFrom: 'capture', readBackCorrected: false, agreement: 'agreed' },
      zip_code: { attempts: 1, attemptsFrom: 'capture', readBackCorrected: true, agreement: 'agreed' },
      phone: { attempts: 2, attemptsFrom: 'asked', readBackCorrected: false, agreement: 'agreed' },
      vehicle_year: { attempts: 1, attemptsFrom: 'asked', readBackCorrected: false, agreement: 'agreed' },
      vehicle_make: { attempts: 1, attemptsFrom: 'asked', readBackCorrected: false, agreement: 'agreed' },
      vehicle_model: { attempts: 1, attemptsFrom: 'asked', readBackCorrected: false, agreement: 'agreed' },
    });
    expect(quality.endReason).toBe('goodbye');
    expect(quality.outcome).toBe('succeeded');
  });

  it('a session that does not exist: exit 3, one line', async () => {
    const run = await runLeads(['sessions', 'show', 'CAnosuchcall'], database.env);
    expect(run.code).toBe(3);
    expect(run.stderr.trim()).toBe('leads: no session with key CAnosuchcall');
  });
});
