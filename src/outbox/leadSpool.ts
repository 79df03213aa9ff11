import { open, readFile, rename, unlink, mkdir, appendFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import { LeadSchema } from '../leads/lead.js';
import { fileWriter, type SpoolWriter } from './spoolWriter.js';

/** File names under DATA_DIR. */
export const SPOOL_FILE = 'lead-spool.jsonl';
const REPLAY_FILE = 'lead-spool.replaying.jsonl';
const REJECTED_FILE = 'lead-spool.rejected.jsonl';

/** One spooled lead: what the outbox needs to accept it, and the session it belongs to. */
export const SpoolRecordSchema = z.object({
  v: z.literal(1),
  id: z.uuid(),
  channel: z.enum(['voice', 'sms']),
  externalId: z.string(),
  sessionKey: z.string(),
  sessionState: z.record(z.string(), z.unknown()),
  lead: LeadSchema,
  refusal: z.string().nullable(),
  spooledAt: z.string(),
});
export type SpoolRecord = z.infer<typeof SpoolRecordSchema>;

/**
 * An append-only local file for leads the database could not take (PostgreSQL unreachable when a call ended).
 * One JSON line per lead, fsynced before `append` resolves; `replay` feeds them to the outbox when the database is
 * back. Replay is idempotent by lead id, so a crash half-way through a replay only repeats harmless work.
 */
export class LeadSpool {
  readonly path: string;
  private readonly replayPath: string;
  private readonly rejectedPath: string;
  private writes: Promise<unknown> = Promise.resolve();
  private replaying: Promise<{ replayed: number; remaining: number }> | undefined;

  private readonly writer: SpoolWriter;

  constructor(
    dataDir: string,
    private readonly logger: Logger,
    options: { writer?: SpoolWriter } = {},
  ) {
    this.writer = options.writer ?? fileWriter;
    const dir = resolve(dataDir);
    this.path = join(dir, SPOOL_FILE);
    this.replayPath = join(dir, REPLAY_FILE);
    this.rejectedPath = join(dir, REJECTED_FILE);
  }

  /** Appends one lead and fsyncs the file (and its directory, so a new file survives a power cut). */
  append(record: SpoolRecord): Promise<void> {
    const line = `${JSON.stringify(SpoolRecordSchema.parse(record))}\n`;
    const write = this.writes.then(() => this.appendLines(this.path, line));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once the appends under way are on disk. */
  async flush(): Promise<void> {
    await this.writes;
  }

  /** Whether anything waits in the spool. */
  async isEmpty(): Promise<boolean> {
    await this.writes;
    const [main, replay] = await Promise.all([readText(this.path), readText(this.replayPath)]);
    return main.trim() === '' && replay.trim() === '';
  }

  /**
   * Hands every spooled lead to `accept`. The spool is first renamed aside, so calls can keep appending; lines
   * `accept` fails on (the database is still down) go back to the spool. Unreadable lines (a write torn by a crash)
   * are moved to lead-spool.rejected.jsonl and logged.
   */
  replay(accept: (record: SpoolRecord) => Promise<void>): Promise<{ replayed: number; remaining: number }> {
    this.replaying ??= this.replayOnce(accept).finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayOnce(accept: (record: SpoolRecord) => Promise<void>): Promise<{ replayed: number; remaining: number }> {
    await this.writes;
    // A replay file left by a crash is finished first; otherwise take the current spool.
    if ((await readText(this.replayPath)) === '') {
      try {
        await this.serialized(() => rename(this.path, this.replayPath));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { replayed: 0, remaining: 0 };
        throw error;
      }
    }
    const lines = (await readText(this.replayPath)).split('\n').filter((l) => l.trim() !== '');
    let replayed = 0;
    const keep: string[] = [];
    let failing = false;
    for (const line of lines) {
      const record = parseLine(line);
      if (record === undefined) {
        await appendFile(this.rejectedPath, `${line}\n`);
        this.logger.error({ file: this.rejectedPath }, 'unreadable spool line set aside');
        continue;
      }
      if (failing) {
        keep.push(line);
        continue;
      }
      try {
        await accept(record);
        replayed++;
      } catch (error) {
        // Still down: keep this line and the rest for the next replay.
        failing = true;
        keep.push(line);
        this.logger.warn({ err: reasonOf(error), leadId: record.id }, 'spool replay failed; will try again');
      }
    }
    if (keep.length > 0) await this.serialized(() => this.appendLines(this.path, keep.map((l) => `${l}\n`).join('')));
    await unlink(this.replayPath).catch(() => undefined);
    if (replayed > 0) this.logger.info({ replayed, remaining: keep.length }, 'spooled leads replayed into the database');
    return { replayed, remaining: keep.length };
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn);
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async appendLines(path: string, text: string): Promise<void> {
    await mkdir(resolve(path, '..'), { recursive: true });
    const handle = await open(path, 'a');
    try {
      await this.writer.write(handle, Buffer.from(text, 'utf8'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    const dir = await open(resolve(path, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function parseLine(line: string): SpoolRecord | undefined {
  try {
    const parsed = SpoolRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
