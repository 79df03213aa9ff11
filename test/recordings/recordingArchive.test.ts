import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { CallRecorder } from '../../src/recordings/callRecorder.js';
import { DirectoryRecordingStore } from '../../src/recordings/directoryRecordingStore.js';
import { RecordingArchive, recordingKey } from '../../src/recordings/recordingArchive.js';
import type { RecordingStore } from '../../src/recordings/recordingStore.js';
import { parseWavHeader } from '../../src/recordings/wavHeader.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** 20 ms of one mu-law code, base64. */
const frame = (code: number): string => Buffer.alloc(160, code).toString('base64');

describe('RecordingArchive', () => {
  let database: TestDatabase;
  let repos: Repositories;
  let storeDir: string;
  let workDir: string;
  let t = 0;
  const now = () => t;
  let wall = new Date('2026-12-01T10:00:00Z');

  const archiveWith = (store: RecordingStore = new DirectoryRecordingStore(storeDir)) =>
    new RecordingArchive({ store, workDir, recordings: repos.recordings, sessions: repos.sessions, logger: database.logger, now, clock: () => wall });

  beforeAll(async () => {
    database = await createTestDatabase();
    repos = createRepositories(database.db);
    storeDir = join(database.dataDir, 'store');
    workDir = join(database.dataDir, 'work');
    await mkdir(storeDir, { recursive: true });
  });
  afterAll(async () => {
    await database?.close();
  });

  /** Feeds a call's recording 3 s of caller frames (and some agent audio) on the test clock. */
  function feed(tap: CallRecorder): void {
    t = 1000;
    tap.start(t);
    for (let n = 0; n < 150; n++) {
      t = 1000 + (n + 1) * 20;
      tap.caller(frame(n % 2 === 0 ? 0x10 : 0x90), n * 20);
      if (n === 10) tap.agent(Buffer.alloc(800, 0x20).toString('base64'));
    }
  }

  it('stores a finished call under a dated key, records it against the session, and removes the local file', async () => {
    const callSid = 'CAarchive000000000000000000000001';
    const sessionId = await repos.sessions.open({ channel: 'voice', sessionKey: callSid });
    const archive = archiveWith();
    expect(await archive.prepare()).toBe(true);
    const { tap, finish } = archive.begin(callSid);
    feed(tap);
    const record = await finish();
    expect(record).toMatchObject({
      callSid,
      sessionId,
      kind: 'call',
      status: 'complete',
      store: 'directory',
      key: 'calls/2026/12/01/CAarchive000000000000000000000001.wav',
      channels: 2,
      sampleRate: 8000,
      format: 'pcm_s16le',
    });
    expect(record?.durationMs).toBe(3000);
    const stored = await readFile(join(storeDir, record?.key ?? ''));
    expect(stored.length).toBe(record?.bytes);
    expect(parseWavHeader(stored).dataBytes).toBe(3000 * 8 * 4);
    expect(await readdir(workDir)).toEqual([]);
    expect((await repos.recordings.forSessions([sessionId])).get(sessionId)).toHaveLength(1);
  });

  it('stores nothing for a call that never started streaming audio, and leaves no file', async () => {
    const archive = archiveWith();
    const { finish } = archive.begin('CAarchive000000000000000000000002');
    expect(await finish()).toBeNull();
    expect(await repos.recordings.forCall('CAarchive000000000000000000000002')).toBeNull();
    expect(await readdir(workDir)).toEqual([]);
  });

  it('keeps the local file when the store fails, and a restart stores it as partial; live calls are left alone', async () => {
    const callSid = 'CAarchive000000000000000000000003';
    await repos.sessions.open({ channel: 'voice', sessionKey: callSid });
    const broken: RecordingStore = Object.assign(Object.create(new DirectoryRecordingStore(storeDir)) as RecordingStore, {
      putFile: async () => {
        throw new Error('store unreachable');
      },
    });
    const { tap, finish } = archiveWith(broken).begin(callSid);
    feed(tap);
    expect(await finish()).toBeNull();
    expect(await readdir(workDir)).toEqual([`${callSid}.wav`]);

    const archive = archiveWith();
    expect(await archive.recoverPartials((sid) => sid === callSid)).toBe(0);
    expect(await archive.recoverPartials(() => false)).toBe(1);
    const record = await repos.recordings.forCall(callSid);
    expect(record).toMatchObject({ status: 'partial', durationMs: 3000 });
    expect(await readdir(workDir)).toEqual([]);
  });

  it('repairs what a crash left (stale header sizes, a torn last frame) and stores it as partial', async () => {
    const callSid = 'CAarchive000000000000000000000004';
    await repos.sessions.open({ channel: 'voice', sessionKey: callSid });
    await mkdir(workDir, { recursive: true });
    const recorder = new CallRecorder({ filePath: join(workDir, `${callSid}.wav`), now });
    feed(recorder);
    await recorder.written();
    // The process dies here: no finish, so the header still says what the last batch said; add a torn frame.
    const { appendFile } = await import('node:fs/promises');
    await appendFile(join(workDir, `${callSid}.wav`), Buffer.from([1, 2, 3]));
    await recorder.abort();
    const archive = archiveWith();
    expect(await archive.recoverPartials(() => false)).toBe(1);
    const record = await repos.recordings.forCall(callSid);
    const stored = await readFile(join(storeDir, record?.key ?? ''));
    const header = parseWavHeader(stored);
    expect(header.dataBytes).toBe(stored.length - 44);
    expect(header.dataBytes % 4).toBe(0);
    expect(record).toMatchObject({ status: 'partial', bytes: stored.length });
  });

  it('deletes recordings older than the retention from the store, marks them, and notes it on the session', async () => {
    const callSid = 'CAarchive000000000000000000000005';
    const sessionId = await repos.sessions.open({ channel: 'voice', sessionKey: callSid });
    const { tap, finish } = archiveWith().begin(callSid);
    feed(tap);
    const record = await finish();
    const key = record?.key ?? '';
    expect((await stat(join(storeDir, key))).size).toBeGreaterThan(44);

    // 89 days on: kept. 91 days on: every recording stored so far is past a 90-day retention.
    wall = new Date('2027-02-28T10:00:00Z');
    expect(await archiveWith().sweepExpired(90)).toBe(0);
    wall = new Date('2027-03-02T12:00:00Z');
    const swept = await archiveWith().sweepExpired(90);
    expect(swept).toBeGreaterThanOrEqual(1);
    await expect(stat(join(storeDir, key))).rejects.toThrow();
    expect(await repos.recordings.forCall(callSid)).toMatchObject({ status: 'deleted' });
    expect((await repos.sessions.get(sessionId))?.state).toMatchObject({
      recordingDeleted: { kind: 'call', at: '2027-03-02T12:00:00.000Z', reason: 'retention: older than 90 days' },
    });
    expect(await archiveWith().sweepExpired(90)).toBe(0);
  });

  it('names keys by kind and day', () => {
    expect(recordingKey('voicemail', 'CA1', new Date('2026-01-09T23:59:59Z'))).toBe('voicemail/2026/01/09/CA1.wav');
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });
});
