import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { LeadOutbox } from './leadOutbox.js';

/** Rows one poll claims at most; each is sent concurrently. */
const CLAIM_BATCH = 10;

/**
 * Sends due outbox rows: every `pollMs` (or at once on `kick()`) it claims a batch and runs one pass over each.
 * Several processes may run one on the same database: SKIP LOCKED plus the lease keep them off each other's rows.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private readonly logger: Logger;

  constructor(
    private readonly outbox: LeadOutbox,
    logger: Logger,
    private readonly pollMs: number,
  ) {
    this.logger = logger.child({ component: 'outbox-worker' });
  }

  start(): this {
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  /** Polls now (a lead was just queued, or the database came back). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** One poll: claims due rows and sends them; resolves when every pass has finished. Returns how many ran. */
  async poll(): Promise<number> {
    const rows = await this.outbox.claimDue(CLAIM_BATCH);
    await Promise.all(
      rows.map((row) =>
        this.outbox.run(row).catch((error: unknown) => {
          // The lease expires and a later pass repeats it under the same key.
          this.logger.error({ leadId: row.id, err: reasonOf(error) }, 'outbox pass could not record its outcome');
        }),
      ),
    );
    return rows.length;
  }

  /** Stops polling and waits for the passes under way (they finish and record their outcome). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    this.running = (async () => {
      try {
        // A full batch means more may be due: keep going before sleeping.
        while (!this.stopped && (await this.poll()) === CLAIM_BATCH);
      } catch (error) {
        this.logger.warn({ err: reasonOf(error) }, 'outbox poll failed');
      }
    })().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      const next = this.again ? 0 : this.pollMs;
      this.again = false;
      this.schedule(next);
    });
  }
}
