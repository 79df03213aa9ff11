// A call with a barge-in, through the real server in real time: the two-channel WAV it leaves is what the caller
// heard (caller left at Twilio's timestamps, agent right as Twilio played it, cut at the clear), linked to the
// call's session and lead, and served to an operator with Range support.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { adminRecordingPath } from '../../src/http/routes.js';
import { parseWavHeader } from '../../src/recordings/wavHeader.js';
import { runLeads } from '../support/runLeads.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const CALL_SID = 'CArecording000000000000000000000001';
const LONG_TURN =
  'Thanks for calling Power Sport Buyers! This call is recorded for quality. I can help you get an offer on your ' +
  'vehicle today, and it only takes a couple of minutes of your time. May I please have your full name?';

/** RMS of one channel over [fromSample, toSample) of interleaved stereo 16-bit PCM. */
function rms(data: Buffer, channel: 0 | 1, fromSample: number, toSample: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, fromSample); i < toSample && (i + 1) * 4 <= data.length; i++, n++) {
    const v = data.readInt16LE(i * 4 + channel * 2);
    sum += v * v;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** The runs of 20 ms blocks whose level on `channel` is above `threshold`, as [startMs, endMs). */
function audibleRuns(data: Buffer, channel: 0 | 1, threshold: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const blocks = Math.floor(data.length / 4 / 160);
  let start: number | null = null;
  for (let b = 0; b < blocks; b++) {
    const loud = rms(data, channel, b * 160, (b + 1) * 160) > threshold;
    if (loud && start === null) start = b * 20;
    if (!loud && start !== null) {
      runs.push([start, b * 20]);
      start = null;
    }
  }
  if (start !== null) runs.push([start, blocks * 20]);
  return runs;
}

describe('call recording through the real server', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  let wav: Buffer;
  let leadId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({
      env: { ...database.env, ADMIN_TOKEN },
      logger: database.logger,
      openai: { realTime: true, chunkMs: 40 },
      overrides: { db: database.db },
    });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${lab.app.url}${path}`, { headers });
  const authorized = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('a call with a barge-in leaves a two-channel WAV of what the caller heard', async () => {
    lab.openai.enqueueScript([
      { agent: LONG_TURN },
      { bargeIn: true, afterAgentAudioMs: 1200 },
      { caller: 'Sorry, this is Mark Lee.', afterAudioMs: 600 },
      { agent: 'Thanks, Mark Lee. Have a great day, goodbye!' },
      { endCall: true },
    ]);
    await lab.webhook(CALL_SID, '+14045550111');
    const caller = await lab.connectCaller(CALL_SID, '+14045550111', { realTime: true });
    caller.startStreaming();
    // The caller speaks at the start (over nothing) and again once the agent was cleared: 300 ms each.
    await caller.speak(300);
    const clearSeen = (async () => {
      while (caller.received.clears.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    })();
    await clearSeen;
    await caller.speak(300);
    const output = await lab.outcomeOf(CALL_SID);
    caller.stopStreaming();
    expect(output.endReason).toBe('goodbye');
    leadId = output.leadId;

    const recording = await lab.app.repos.recordings.forCall(CALL_SID);
    expect(recording).toMatchObject({ kind: 'call', status: 'complete', store: 'directory', channels: 2, sampleRate: 8000, format: 'pcm_s16le' });
    const response = await get(adminRecordingPath(CALL_SID), authorized);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    wav = Buffer.from(await response.arrayBuffer());
    expect(wav.length).toBe(recording?.bytes);

    const header = parseWavHeader(wav);
    expect(header).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16, dataOffset: 44, dataBytes: wav.length - 44 });
    const data = wav.subarray(44);
    const samples = data.length / 4;

    // Its length is the call's: the stream's start to the hang-up, as the caller sent frames through it.
    const sentMs = caller.framesSent() * 20;
    expect(Math.abs(samples / 8 - sentMs)).toBeLessThan(300);
    expect(Math.abs((recording?.durationMs ?? 0) - samples / 8)).toBeLessThan(1);

    // The caller channel holds the caller's speech frames at their timestamps ((chunk - 1) x 20 ms), silence elsewhere.
    const speech = new Set(caller.speechChunks);
    expect(speech.size).toBe(30);
    // The fake caller's tone has an amplitude of 12,000 (an RMS near 8,500); silence decodes to exactly 0.
    for (const chunk of speech) expect(rms(data, 0, (chunk - 1) * 160, chunk * 160), `chunk ${chunk}`).toBeGreaterThan(6000);
    for (let chunk = 1; chunk <= caller.framesSent(); chunk++) {
      if (!speech.has(chunk)) expect(rms(data, 0, (chunk - 1) * 160, chunk * 160), `silent chunk ${chunk}`).toBe(0);
    }

    // The agent channel: the greeting plays until the clear, not one block of what was cut; then the goodbye.
    const clear = caller.received.clears[0];
    if (clear === undefined) throw new Error('no clear');
    const runs = audibleRuns(data, 1, 500);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    // The caller's turn between the clear and the goodbye is the longest silence on the agent channel; a loaded
    // machine may leave short gaps inside the greeting too (the fake model's pacing slipped: Twilio's queue ran dry).
    let cut = 0;
    for (let i = 1; i < runs.length; i++) {
      const gap = (runs[i] as [number, number])[0] - (runs[i - 1] as [number, number])[1];
      const best = (runs[cut + 1] as [number, number])[0] - (runs[cut] as [number, number])[1];
      if (gap > best) cut = i - 1;
    }
    const greetingRuns = runs.slice(0, cut + 1);
    const goodbye = runs[cut + 1] as [number, number];
    const greetingEnd = (greetingRuns.at(-1) as [number, number])[1];
    const audibleBeforeClearMs = greetingRuns.reduce((n, [from, to]) => n + (to - from), 0);
    // What the caller heard of the greeting before the clear is in the recording, and nothing of what was cut.
    const playedBeforeClearMs = clear.playedBytes / 8;
    expect(Math.abs(audibleBeforeClearMs - playedBeforeClearMs)).toBeLessThanOrEqual(100);
    // ... ending at the clear, on the caller's own clock (from the greeting's first frame).
    const firstAgentFrame = caller.received.media[0];
    if (firstAgentFrame === undefined) throw new Error('no agent audio');
    expect(Math.abs(greetingEnd - (greetingRuns[0] as [number, number])[0] - (clear.at - firstAgentFrame.at))).toBeLessThanOrEqual(100);
    // Silence from the clear until the goodbye started (the caller's turn and the model's answer in between).
    expect(goodbye[0] - greetingEnd).toBeGreaterThan(300);
    expect(rms(data, 1, (greetingEnd + 20) * 8, (goodbye[0] - 20) * 8)).toBe(0);
  });

  it('is served with byte ranges to the operator only', async () => {
    const part = await get(adminRecordingPath(CALL_SID), { ...authorized, range: 'bytes=44-1043' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 44-1043/${wav.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(wav.subarray(44, 1044))).toBe(true);

    const tail = await get(adminRecordingPath(CALL_SID), { ...authorized, range: 'bytes=-100' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(wav.subarray(wav.length - 100))).toBe(true);

    const beyond = await get(adminRecordingPath(CALL_SID), { ...authorized, range: `bytes=${wav.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${wav.length}`);

    expect((await get(adminRecordingPath(CALL_SID))).status).toBe(401);
    expect((await get(adminRecordingPath(CALL_SID), { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect((await get(adminRecordingPath('CAunknown0000000000000000000000001'), authorized)).status).toBe(404);
    expect((await get(adminRecordingPath(CALL_SID) + '?kind=voicemail', authorized)).status).toBe(404);
  });

  it('is linked from the session and the lead, and written by the leads command', async () => {
    const session = await runLeads(['sessions', 'show', CALL_SID, '--json'], database.env);
    expect(session.code).toBe(0);
    const link = { kind: 'call', status: 'complete', store: 'directory', bytes: wav.length, channels: 2 };
    expect(JSON.parse(session.stdout).recordings).toEqual([expect.objectContaining(link)]);

    // The call gave only a name: its lead is a failed one, and shows the recording.
    const failed = await runLeads(['failed', 'show', leadId, '--json'], database.env);
    expect(failed.code).toBe(0);
    expect(JSON.parse(failed.stdout).recordings).toEqual([expect.objectContaining(link)]);
    expect((await runLeads(['failed', 'show', leadId], database.env)).stdout).toMatch(/recordings\s+call complete\s+\d+\.\d s/);

    const out = `${database.dataDir}/out.wav`;
    const written = await runLeads(['recording', CALL_SID, '--out', out], database.env);
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(out)).equals(wav)).toBe(true);
    const missing = await runLeads(['recording', 'CAunknown0000000000000000000000001', '--out', out], database.env);
    expect(missing.code).toBe(3);
  });
});
