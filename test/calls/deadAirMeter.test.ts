import { describe, expect, it } from 'vitest';
import { DEAD_AIR_THRESHOLD_MS, DeadAirMeter } from '../../src/calls/deadAirMeter.js';

describe('DeadAirMeter', () => {
  it('counts the silences over 3 s between the agent finishing and the caller speaking, and the longest', () => {
    const meter = new DeadAirMeter();
    meter.start(0);
    meter.agentAudio(100, 2000); // plays until 2100
    meter.callerSpeechStarted(6000); // 3900 ms of silence
    meter.callerSpeechStopped(7000);
    meter.agentAudio(8000, 1000); // 1000 ms: not dead air
    meter.callerSpeechStarted(9000 + 3500); // 3500 ms
    expect(meter.result()).toEqual({ count: 2, longestMs: 3900 });
  });

  it('agent audio queued behind audio still playing keeps the line busy', () => {
    const meter = new DeadAirMeter();
    meter.start(0);
    meter.agentAudio(0, 2000);
    meter.agentAudio(10, 2000); // plays until 4010
    meter.callerSpeechStarted(6000);
    expect(meter.result()).toEqual({ count: 0, longestMs: 0 });
  });

  it('a barge-in clear stops the agent audio, so the silence starts when the caller stops', () => {
    const meter = new DeadAirMeter();
    meter.start(0);
    meter.agentAudio(0, 10_000);
    meter.callerSpeechStarted(1000);
    meter.agentCleared(1000);
    meter.callerSpeechStopped(2000);
    meter.agentAudio(2000 + DEAD_AIR_THRESHOLD_MS + 1, 500);
    expect(meter.result()).toEqual({ count: 1, longestMs: DEAD_AIR_THRESHOLD_MS + 1 });
  });

  it('a silence of exactly the threshold, or one while the caller speaks, is not dead air', () => {
    const meter = new DeadAirMeter();
    meter.start(0);
    meter.agentAudio(DEAD_AIR_THRESHOLD_MS, 100);
    meter.callerSpeechStarted(5000);
    meter.agentAudio(20_000, 100); // the caller is still speaking
    expect(meter.result()).toEqual({ count: 0, longestMs: 0 });
  });

  it('before the stream attached nothing is silence', () => {
    const meter = new DeadAirMeter();
    meter.agentAudio(10_000, 100);
    expect(meter.result()).toEqual({ count: 0, longestMs: 0 });
  });
});
