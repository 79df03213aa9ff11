import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isConnectionError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Channel } from '../leads/lead.js';
import { isUuid } from '../db/isUuid.js';
import { readText, SpoolFiles } from './spoolFiles.js';
import { parseSpoolLine, recordsIn, salvageLine, spoolLine, type SpoolRecord } from './spoolRecord.js';
import { SpoolReserve } from './spoolReserve.js';
import { fileWriter, type SpoolWriter } from './spoolWriter.js';

/** File names under DATA_DIR. */
export const SPOOL_FILE = 'lead-spool.jsonl';
const REPLAY_FILE = 'lead-spool.replaying.jsonl';
const REJECTED_FILE = 'lead-spool.rejected.jsonl';
/** Records the database refused SPOOL_MAX_TRIES times: kept for an operator (`leads spool list|retry`). */
export const DEAD_LETTER_FILE = 'lead-spool.dead.jsonl';
/** `leads spool retry` leaves one empty file per lead id here; the server's next replay re-queues those. */
const REQUEUE_DIR = 'lead-spool.requeue';
/** Disk space held for the spool (SpoolReserve). */
const RESERVE_FILE = 'lead-spool.reserve';
export const DEFAULT_SPOOL_MAX_TRIES = 5;
export const DEFAULT_SPOOL_RESERVE_BYTES = 1024 * 1024;

/** A spooled lead as an operator sees it: no lead data, no session key (an SMS session's key is a phone number). */
export interface SpoolEntry {
  id: string;
  channel: Channel;
  externalId: string;
  spooledAt: string;
  /** queued: replayed at every upkeep; dead: refused SPOOL_MAX_TRIES times; requeued: dead, re-queue asked for. */
  state: 'queued' | 'dead' | 'requeued';
  tries: number;
  lastError: string | null;
}

export interface ReplayResult {
  replayed: number;
  /** Records still queued (the database unreachable, or refusing them with tries left). */
  remaining: number;
  /** Records moved to the dead-letter file by this replay. */
  dead: number;
}

export interface LeadSpoolOptions {
  writer?: SpoolWriter;
  /** Replays a record may fail while the database answers before it becomes a dead letter. */
  maxTries?: number;
  /** Disk space held for the spool, given back to it when the disk is full. */
  reserveBytes?: number;
}

/**
 * An append-only local file for leads the database could not take (PostgreSQL unreachable when a call ended).
 * One JSON line per lead, fsynced before `append` resolves; `replay` feeds them to the outbox when the database is
 * back. Replay is idempotent by lead id, so a crash half-way through a replay only repeats harmless work. This
 * process is the only writer of the spool's files; the `leads` command reads them and asks for re-queues by file.
 */
export class LeadSpool {
  readonly path: string;
  readonly deadLetterPath: string;
  private readonly replayPath: string;
  private readonly rejectedPath: string;
  private readonly requeueDir: string;
  private readonly files: SpoolFiles;
  private readonly maxTries: number;
  private readonly reserve: SpoolReserve;
  /** Bytes of an append the disk refused even with the reserve spent; cleared once that much fits again. */
  private refusedBytes: number | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private replaying: Promise<ReplayResult> | undefined;
  /** Session keys in the spool's files as of the last look (`refresh`), and those appended since. */
  private storedKeys = new Set<string>();
  /** Session keys of appends not on disk yet. */
  private readonly appendingKeys = new Map<string, number>();
  private counts = { queued: 0, dead: 0 };

  constructor(
    dataDir: string,
    private readonly logger: Logger,
    options: LeadSpoolOptions = {},
  ) {
    const dir = resolve(dataDir);
    this.path = join(dir, SPOOL_FILE);
    this.replayPath = join(dir, REPLAY_FILE);
    this.rejectedPath = join(dir, REJECTED_FILE);
    this.deadLetterPath = join(dir, DEAD_LETTER_FILE);
    this.requeueDir = join(dir, REQUEUE_DIR);
    const writer = options.writer ?? fileWriter;
    this.files = new SpoolFiles(writer, logger);
    this.maxTries = Math.max(1, options.maxTries ?? DEFAULT_SPOOL_MAX_TRIES);
    this.reserve = new SpoolReserve(join(dir, RESERVE_FILE), options.reserveBytes ?? DEFAULT_SPOOL_RESERVE_BYTES, writer);
  }

  /**
   * Whether the spool can take leads now: its disk reserve is whole, so the calls under way fit even if the disk
   * fills, and no lead was refused since for want of space. Checked (and the reserve remade) by `ensureReserve`.
   */
  get ready(): boolean {
    return this.reserve.whole && this.refusedBytes === undefined;
  }

  /**
   * Makes the reserve whole again if the disk allows (and, after a lead was refused for want of space, checks that
   * a lead that size would fit now); whether the spool is ready.
   */
  ensureReserve(): Promise<boolean> {
    return this.serialized(async () => {
      const probe = this.refusedBytes;
      if ((await this.reserve.ensure(probe ?? 0)) && probe !== undefined) this.refusedBytes = undefined;
      return this.ready;
    });
  }

  /**
   * Appends one lead and fsyncs the file (and its directory, so a new file survives a power cut). On a full disk the
   * reserve is given back, piece by piece, until the lead fits or the reserve is spent.
   */
  append(record: SpoolRecord): Promise<void> {
    const line = `${spoolLine(record)}\n`;
    const key = record.sessionKey;
    this.appendingKeys.set(key, (this.appendingKeys.get(key) ?? 0) + 1);
    const write = this.serialized(() => this.appendToSpool(line)).then(() => {
      this.storedKeys.add(key);
      this.counts.queued++;
    });
    void write
      .catch(() => undefined)
      .finally(() => {
        const left = (this.appendingKeys.get(key) ?? 1) - 1;
        if (left > 0) this.appendingKeys.set(key, left);
        else this.appendingKeys.delete(key);
      });
    return write;
  }

  /** Resolves once the appends under way are on disk. */
  async flush(): Promise<void> {
    await this.writes;
  }

  /** Whether any lead waits to be replayed (dead letters do not: they wait for an operator). */
  async isEmpty(): Promise<boolean> {
    await this.writes;
    const [main, replay] = await Promise.all([readText(this.path), readText(this.replayPath)]);
    return main.trim() === '' && replay.trim() === '';
  }

  /**
   * Whether the spool holds a lead of this session (queued, being written, or a dead letter): a recovery sweep must
   * not rebuild that session from its stale row, the spooled lead is the one to keep.
   */
  holds(sessionKey: string): boolean {
    return this.storedKeys.has(sessionKey) || this.appendingKeys.has(sessionKey);
  }

  /** Every session key `holds` answers for (as of the last replay, and appended since). */
  heldKeys(): string[] {
    return [...new Set([...this.storedKeys, ...this.appendingKeys.keys()])];
  }

  /** Queued records and dead letters, as of the last replay (and appends since): for the metrics. */
  get queuedCount(): number {
    return this.counts.queued;
  }

  get deadLetterCount(): number {
    return this.counts.dead;
  }

  /**
   * Hands every spooled lead to `accept`. The spool is first renamed aside, so calls can keep appending. A record
   * `accept` fails on with a connection-class error (the database is still away) goes back with the rest; one the
   * database answers for and refuses goes back with its try counted, and after SPOOL_MAX_TRIES is moved to the
   * dead-letter file, while the records behind it are replayed. The whole records on a damaged line are replayed
   * and the rest of it set aside in lead-spool.rejected.jsonl. Dead letters an operator re-queued (`leads spool
   * retry`) are queued again first.
   */
  replay(accept: (record: SpoolRecord) => Promise<void>): Promise<ReplayResult> {
    this.replaying ??= this.replayOnce(accept).finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayOnce(accept: (record: SpoolRecord) => Promise<void>): Promise<ReplayResult> {
    await this.writes;
    await this.takeRequeues();
    // A replay file left by a crash is finished first; otherwise take the current spool.
    if ((await readText(this.replayPath)) === '') {
      try {
        await this.serialized(() => rename(this.path, this.replayPath));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await this.refresh();
        return { replayed: 0, remaining: 0, dead: 0 };
      }
    }
    const entries = await this.readReplayFile();
    let replayed = 0;
    const keep: string[] = [];
    const dead: string[] = [];
    let unreachable = false;
    for (const { record, line } of entries) {
      if (unreachable) {
        keep.push(line);
        continue;
      }
      try {
        await accept(record);
        replayed++;
      } catch (error) {
        if (isConnectionError(error)) {
          // Still away: this record and the rest wait for the next replay, their tries unchanged.
          unreachable = true;
          keep.push(line);
          this.logger.warn({ err: reasonOf(error), leadId: record.id }, 'spool replay: database unreachable; will try again');
          continue;
        }
        const tried: SpoolRecord = { ...record, tries: (record.tries ?? 0) + 1, lastError: reasonOf(error) };
        const fields = { leadId: record.id, tries: tried.tries, maxTries: this.maxTries, err: tried.lastError };
        if ((tried.tries ?? 0) >= this.maxTries) {
          dead.push(spoolLine(tried));
          this.logger.error(fields, 'spooled lead moved to the dead-letter file');
        } else {
          keep.push(spoolLine(tried));
          this.logger.warn(fields, 'spooled lead refused by the database; will try again');
        }
      }
    }
    // Both written before the replay file goes: a crash in between replays it again, harmlessly.
    if (dead.length > 0) await this.serialized(() => this.files.append(this.deadLetterPath, dead.map((l) => `${l}\n`).join('')));
    if (keep.length > 0) await this.serialized(() => this.appendToSpool(keep.map((l) => `${l}\n`).join('')));
    await unlink(this.replayPath).catch(() => undefined);
    await this.refresh();
    if (replayed > 0) this.logger.info({ replayed, remaining: keep.length }, 'spooled leads replayed into the database');
    return { replayed, remaining: keep.length, dead: dead.length };
  }

  /**
   * The replay file's records with their lines. A line that is not one record (a torn write with the next record
   * appended to it) gives back the whole records in it; what is left of it is set aside in the rejected file.
   */
  private async readReplayFile(): Promise<Array<{ record: SpoolRecord; line: string }>> {
    const entries: Array<{ record: SpoolRecord; line: string }> = [];
    for (const line of (await readText(this.replayPath)).split('\n')) {
      if (line.trim() === '') continue;
      const record = parseSpoolLine(line);
      if (record !== undefined) {
        entries.push({ record, line });
        continue;
      }
      const { records, fragments } = salvageLine(line);
      for (const found of records) entries.push({ record: found, line: spoolLine(found) });
      if (fragments.length > 0) await this.serialized(() => this.files.append(this.rejectedPath, fragments.map((f) => `${f}\n`).join('')));
      this.logger.error({ file: this.rejectedPath, recovered: records.length, setAside: fragments.length }, 'damaged spool line: whole records recovered, the rest set aside');
    }
    return entries;
  }

  /** The spool's records as an operator sees them: queued first, then dead letters. */
  async list(): Promise<SpoolEntry[]> {
    const requested = new Set(await this.requeueRequests());
    const [main, replay, dead] = await Promise.all([readText(this.path), readText(this.replayPath), readText(this.deadLetterPath)]);
    const entry = (record: SpoolRecord, state: SpoolEntry['state']): SpoolEntry => ({
      id: record.id,
      channel: record.channel,
      externalId: record.externalId,
      spooledAt: record.spooledAt,
      state,
      tries: record.tries ?? 0,
      lastError: record.lastError ?? null,
    });
    return [
      ...recordsIn(replay + main).map((r) => entry(r, 'queued')),
      ...recordsIn(dead).map((r) => entry(r, requested.has(r.id) ? 'requeued' : 'dead')),
    ];
  }

  /**
   * Asks the server to queue this dead letter again (its tries start over): an empty file named after the lead id,
   * taken by the server's next replay. False when no dead letter has that id.
   */
  async requestRequeue(id: string): Promise<boolean> {
    if (!isUuid(id) || !recordsIn(await readText(this.deadLetterPath)).some((r) => r.id === id)) return false;
    await mkdir(this.requeueDir, { recursive: true });
    await writeFile(join(this.requeueDir, id), '');
    return true;
  }

  /** Dead letters re-queued by an operator go back to the spool (first), then leave the dead-letter file. */
  private async takeRequeues(): Promise<void> {
    const ids = new Set(await this.requeueRequests());
    if (ids.size === 0) return;
    const back: string[] = [];
    const stay: string[] = [];
    for (const line of (await readText(this.deadLetterPath)).split('\n').filter((l) => l.trim() !== '')) {
      const record = parseSpoolLine(line);
      if (record !== undefined && ids.has(record.id)) {
        const { tries: _tries, lastError: _lastError, ...fresh } = record;
        back.push(`${spoolLine(fresh)}\n`);
      } else {
        stay.push(`${line}\n`);
      }
    }
    if (back.length > 0) {
      // Queued before it leaves the dead-letter file: a crash in between leaves it in both, replayed once.
      await this.serialized(() => this.appendToSpool(back.join('')));
      await this.serialized(() => this.files.replace(this.deadLetterPath, stay.join('')));
    }
    await Promise.all([...ids].map((id) => unlink(join(this.requeueDir, id)).catch(() => undefined)));
    this.logger.info({ requeued: back.length }, 'dead-letter leads re-queued');
  }

  private async requeueRequests(): Promise<string[]> {
    try {
      return (await readdir(this.requeueDir)).filter(isUuid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Looks at the files again: which sessions the spool holds, how many records wait and how many are dead. */
  private async refresh(): Promise<void> {
    await this.serialized(async () => {
      const [main, replay, dead] = await Promise.all([readText(this.path), readText(this.replayPath), readText(this.deadLetterPath)]);
      const queued = recordsIn(replay + main);
      const deadRecords = recordsIn(dead);
      this.storedKeys = new Set([...queued, ...deadRecords].map((r) => r.sessionKey));
      this.counts = { queued: queued.length, dead: deadRecords.length };
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn);
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Appends to the spool file, giving disk space back from the reserve while the disk is full. */
  private async appendToSpool(text: string): Promise<void> {
    const bytes = Buffer.byteLength(text, 'utf8');
    for (;;) {
      try {
        await this.files.append(this.path, text);
        this.refusedBytes = undefined;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // A newline may go first, and the last page of the file may be partly used: ask for a little more.
        const freed = await this.reserve.release(bytes + 4096).catch(() => 0);
        if (freed === 0) {
          this.refusedBytes = Math.max(this.refusedBytes ?? 0, bytes);
          throw error;
        }
        this.logger.warn({ freed }, 'disk full: spool reserve given back for a lead');
      }
    }
  }
}
