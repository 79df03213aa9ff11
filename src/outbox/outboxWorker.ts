import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { LeadOutbox } from './leadOutbox.js';

/** Rows one poll claims at most (fewer when fewer request slots are free or the NPA circuit holds them back). */
const CLAIM_BATCH = 10;

/**
 * Sends due outbox rows: every `pollMs` (or at once on `kick()`, when a pass ends, and when the NPA API is back
 * after an outage) it claims what may be sent now and starts one pass over each. Several processes may run one on
 * the same database: SKIP LOCKED plus the lease keep them off each other's rows.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private unsubscribe: (() => void) | undefined;
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
    // Rows that waited out a backoff during an outage are due once the API answers again: send them now.
    this.unsubscribe = this.outbox.onApiRecovered(() => this.kick());
    this.schedule(0);
    return this;
  }

  /** Polls now (a lead was just queued, a request slot came free, or the database came back). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** One poll: claims what may be sent now and starts a pass over each; returns how many started. */
  async poll(): Promise<number> {
    const passes = await this.outbox.sendDue(CLAIM_BATCH);
    // A pass that ends frees its request slot: look again at once.
    for (const pass of passes) void pass.then(() => this.kick());
    return passes.length;
  }

  /** Stops polling and waits for the passes under way (they finish and record their outcome). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.outbox.settle();
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
