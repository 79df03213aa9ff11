import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const LONG_TURN =
  'Thanks for calling Power Sport Buyers! I can help you get an offer on your vehicle today, and it only takes a ' +
  'couple of minutes of your time. To get started, may I please have your full name, first and last?';

describe('barge-in through the real server, in real time', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({
      env: database.env,
      logger: database.logger,
      openai: { realTime: true, chunkMs: 40 },
      overrides: { db: database.db },
    });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('clears Twilio and truncates the agent at the audio the caller actually heard', async () => {
    const connectionIndex = lab.openai.connections.length;
    const { output, caller } = await placeScriptedCall(lab, {
      callSid: 'CAbargein0000000000000000000000001',
      from: '+14045550111',
      realTime: true,
      script: [
        { agent: LONG_TURN },
        { bargeIn: true, afterAgentAudioMs: 1200 },
        { caller: 'Sorry, this is Mark Lee.', afterAudioMs: 200 },
        { agent: 'Thanks, Mark Lee. Have a great day, goodbye!' },
        { endCall: true },
      ],
    });
    expect(output.endReason).toBe('goodbye');
    const connection = lab.openai.connections[connectionIndex];
    expect(connection).toBeDefined();

    expect(caller.received.clears).toHaveLength(1);
    expect(connection?.truncates).toHaveLength(1);
    const clear = caller.received.clears[0];
    const truncate = connection?.truncates[0];
    if (clear === undefined || truncate === undefined) throw new Error('unreachable');

    // What the caller had played when the clear arrived, against what the relay told the model it heard.
    const playedMs = clear.playedBytes / 8;
    expect(truncate.audio_end_ms).toBeGreaterThan(0);
    expect(Math.abs(truncate.audio_end_ms - playedMs)).toBeLessThanOrEqual(150);
    // Never past the audio sent for that item: the agent had streamed about 1200 ms when the caller spoke.
    const sentBeforeClearMs = caller.received.media.filter((m) => m.at <= clear.at).reduce((n, m) => n + m.bytes, 0) / 8;
    expect(truncate.audio_end_ms).toBeLessThanOrEqual(sentBeforeClearMs);
    // Nothing of the interrupted answer plays after the clear.
    const itemAudioAfterClear = caller.received.media.filter((m) => m.at > clear.at && m.at < clear.at + 100);
    expect(itemAudioAfterClear).toHaveLength(0);
  });
});
