import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { RecordingRepository, RecordingRecord } from '../db/recordingRepository.js';
import type { SessionRepository } from '../db/sessionRepository.js';
import type { RecordingKind } from '../db/entities/index.js';
import { CallRecorder } from './callRecorder.js';
import type { RecordingStore } from './recordingStore.js';
import { repairWav } from './repairWav.js';

export interface RecordingArchiveOptions {
  store: RecordingStore;
  /** Where recordings are written while their call lasts (local disk, one file per call): a crash leaves them here. */
  workDir: string;
  recordings: RecordingRepository;
  sessions: SessionRepository;
  logger: Logger;
  /** Milliseconds, monotonic: the relay's clock. */
  now?: () => number;
  /** The wall clock (keys are dated, retention counts days). */
  clock?: () => Date;
}

/** A local WAV file to store, and what it holds. */
export interface RecordingFileInfo {
  filePath: string;
  durationMs: number;
  channels: number;
  sampleRate: number;
  format: string;
}

/** How often live recordings write what is due without a frame to trigger it. */
export const RECORDING_TICK_MS = 500;

const CALL_SID_FILE = /^(CA[A-Za-z0-9]{1,64})\.wav$/;

/** Where a recording lives in the store: by kind and day, named after the call. */
export function recordingKey(kind: RecordingKind, callSid: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${kind === 'call' ? 'calls' : 'voicemail'}/${day}/${callSid}.wav`;
}

/**
 * Every call's recording from its first frame to its store: a CallRecorder per call writing to the work directory,
 * stored and recorded (call_recordings) when the conversation ends; what a crash left there is repaired and stored
 * on the next start; the retention sweep deletes what is too old. Never throws into a call: a recording that cannot
 * be made or stored is logged and the call goes on.
 */
export class RecordingArchive {
  private readonly now: () => number;
  private readonly clock: () => Date;
  private ready: Promise<boolean> | null = null;
  /** Recordings of live calls, ticked together so each file keeps up even when no frame comes (one timer for all). */
  private readonly active = new Set<CallRecorder>();
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly options: RecordingArchiveOptions) {
    this.now = options.now ?? (() => performance.now());
    this.clock = options.clock ?? (() => new Date());
  }

  get store(): RecordingStore {
    return this.options.store;
  }

  /** The work directory exists (made once). */
  prepare(): Promise<boolean> {
    this.ready ??= mkdir(this.options.workDir, { recursive: true }).then(
      () => true,
      (error: unknown) => {
        this.options.logger.error({ err: reasonOf(error) }, 'recording work directory cannot be made: calls are not recorded');
        return false;
      },
    );
    return this.ready;
  }

  /**
   * A recording of the call: `tap` is fed by the relay from the stream's start (its file opens then); `finish`
   * stores it once the conversation is over (`complete`).
   */
  begin(callSid: string): { tap: CallRecorder; finish: () => Promise<RecordingRecord | null> } {
    const recorder = new CallRecorder({ filePath: this.workFile(callSid), now: this.now });
    this.active.add(recorder);
    this.ticker ??= setInterval(() => {
      for (const live of this.active) live.tick();
    }, RECORDING_TICK_MS).unref();
    return { tap: recorder, finish: () => this.complete(callSid, recorder) };
  }

  /**
   * The call's conversation is over: the recording is finished, stored and recorded against the call's session;
   * the local file goes once the store has it. Null (logged) when there was nothing to store or storing failed: then
   * the file stays for the next start's recovery.
   */
  async complete(callSid: string, recorder: CallRecorder): Promise<RecordingRecord | null> {
    const logger = this.options.logger.child({ callSid });
    this.active.delete(recorder);
    if (this.active.size === 0 && this.ticker !== null) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
    const result = await recorder.finish();
    if (result.failed !== null) logger.warn({ event: 'recording_failed', reason: result.failed }, 'call recording failed');
    if (result.bytes === 0) {
      await rm(result.filePath, { force: true }).catch(() => undefined);
      return null;
    }
    return this.storeFile(callSid, 'call', result, result.failed === null ? 'complete' : 'partial', logger);
  }

  /**
   * Files a crash left in the work directory (calls not live here): repaired (header sizes from the file's length)
   * and stored as partial recordings of their calls. Returns how many were stored.
   */
  async recoverPartials(isLive: (callSid: string) => boolean): Promise<number> {
    if (!(await this.prepare())) return 0;
    let names: string[];
    try {
      names = await readdir(this.options.workDir);
    } catch (error) {
      this.options.logger.warn({ err: reasonOf(error) }, 'recording work directory cannot be read');
      return 0;
    }
    let stored = 0;
    for (const name of names) {
      const callSid = CALL_SID_FILE.exec(name)?.[1];
      if (callSid === undefined || isLive(callSid)) continue;
      const logger = this.options.logger.child({ callSid });
      const filePath = join(this.options.workDir, name);
      try {
        const { durationMs } = await repairWav(filePath);
        const modified = (await stat(filePath)).mtime;
        const info: RecordingFileInfo = { filePath, durationMs, channels: 2, sampleRate: 8000, format: 'pcm_s16le' };
        if ((await this.storeFile(callSid, 'call', info, 'partial', logger, modified)) !== null) stored++;
      } catch (error) {
        logger.warn({ event: 'recording_recovery_failed', err: reasonOf(error) }, 'partial recording could not be recovered');
      }
    }
    return stored;
  }

  /** A voicemail's audio (Twilio's WAV, written to a local file), stored beside the call's recording. */
  async storeVoicemail(callSid: string, file: RecordingFileInfo, recordingSid: string): Promise<RecordingRecord | null> {
    const logger = this.options.logger.child({ callSid });
    return this.storeFile(callSid, 'voicemail', file, 'complete', logger, this.clock(), recordingSid);
  }

  /**
   * Deletes recordings older than `retentionDays` from the store and marks them deleted; each call's session notes
   * it. Returns how many went. A store that fails leaves the row as it was, for the next sweep.
   */
  async sweepExpired(retentionDays: number, limit = 500): Promise<number> {
    const before = new Date(this.clock().getTime() - retentionDays * 24 * 60 * 60_000);
    const expired = await this.options.recordings.expired(before, limit);
    let deleted = 0;
    for (const recording of expired) {
      try {
        await this.options.store.delete(recording.key);
        await this.options.recordings.markDeleted(recording.id);
        if (recording.sessionId !== null) {
          await this.options.sessions.patch(recording.sessionId, {
            recordingDeleted: { kind: recording.kind, at: this.clock().toISOString(), reason: `retention: older than ${retentionDays} days` },
          });
        }
        deleted++;
      } catch (error) {
        this.options.logger.warn({ event: 'recording_delete_failed', callSid: recording.callSid, err: reasonOf(error) }, 'expired recording could not be deleted');
      }
    }
    if (deleted > 0) this.options.logger.info({ event: 'recordings_expired', count: deleted, retentionDays }, 'expired recordings deleted');
    return deleted;
  }

  private workFile(callSid: string): string {
    return join(this.options.workDir, `${callSid}.wav`);
  }

  private async storeFile(
    callSid: string,
    kind: RecordingKind,
    file: RecordingFileInfo,
    status: 'complete' | 'partial',
    logger: Logger,
    at: Date = this.clock(),
    sourceRef: string | null = null,
  ): Promise<RecordingRecord | null> {
    const key = recordingKey(kind, callSid, at);
    try {
      const { bytes } = await this.options.store.putFile(key, file.filePath);
      const record = await this.options.recordings.save({
        callSid,
        kind,
        status,
        store: this.options.store.kind,
        key,
        durationMs: file.durationMs,
        bytes,
        channels: file.channels,
        sampleRate: file.sampleRate,
        format: file.format,
        sourceRef,
      });
      await rm(file.filePath, { force: true });
      logger.info({ event: 'recording_stored', kind, status, store: this.options.store.kind, bytes, durationMs: Math.round(file.durationMs) }, 'recording stored');
      return record;
    } catch (error) {
      logger.warn({ event: 'recording_store_failed', kind, err: reasonOf(error) }, 'recording could not be stored; kept locally for the next start');
      return null;
    }
  }
}
