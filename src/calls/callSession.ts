import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { CapturedFields } from '../leads/capturedFields.js';
import type { Turn } from '../leads/lead.js';
import type { SessionRepository } from '../db/sessionRepository.js';
import type { VoicePatch } from '../db/entities/sessionState.js';

/** A final phase that did not land is tried again after 0.5 s, 1 s, 2 s... up to 15 s apart, 40 times (~8 min). */
export const FINAL_RETRY_BASE_MS = 500;
export const FINAL_RETRY_MAX_MS = 15_000;
export const FINAL_RETRIES = 40;

/**
 * One call's session row, written in the order the call asks: created on the first write (keyed by the CallSid,
 * naming the instance that runs the call), then patched. Caller turns are written as they arrive (a write under way takes the latest transcript with it, so
 * writes batch without delay), and a heartbeat touches the row so no recovery sweep takes a live call for one a dead
 * process left behind. Failures are logged, never thrown: the lead's own write does not depend on these.
 */
export class CallSession {
  private id: string | null = null;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly timings: Record<string, string> = {};
  private latestTranscript: Turn[] | null = null;
  private latestCaptured: CapturedFields | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly instanceId: string;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly callSid: string,
    private readonly logger: Logger,
    options: { heartbeatMs: number; instanceId: string },
  ) {
    this.instanceId = options.instanceId;
    this.heartbeat = setInterval(() => {
      if (this.id !== null) this.enqueue((id) => this.sessions.patch(id, {}));
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * The call entered `phase`: writes it with when, and the machine's view of the call. A final phase that does not
   * land is tried again (backing off up to FINAL_RETRY_MAX_MS, FINAL_RETRIES times) outside the queue: a session
   * left in a live phase is one the recovery sweep would take for a call a dead process left behind.
   */
  persist(phase: string, state: VoicePatch, final = false): void {
    this.timings[phase] = new Date().toISOString();
    const patch: VoicePatch = { ...state, phase, timings: { ...this.timings } };
    const write = (id: string) => this.sessions.patch(id, patch);
    this.enqueue(write, patch, final ? () => this.retryFinal(patch, 1) : undefined);
  }

  private retryFinal(patch: VoicePatch, attempt: number): void {
    if (attempt > FINAL_RETRIES) {
      this.logger.error({ phase: patch.phase, attempts: attempt - 1 }, 'final session phase not written');
      return;
    }
    const timer = setTimeout(
      () => this.enqueue((id) => this.sessions.patch(id, patch), patch, () => this.retryFinal(patch, attempt + 1)),
      Math.min(FINAL_RETRY_MAX_MS, FINAL_RETRY_BASE_MS * 2 ** (attempt - 1)),
    );
    timer.unref();
  }

  /** The transcript changed: written now, or with the write already queued. */
  persistTranscript(turns: Turn[]): void {
    if (this.stopped) return;
    const queued = this.latestTranscript !== null;
    this.latestTranscript = turns;
    if (queued) return;
    this.enqueue(async (id) => {
      const transcript = this.latestTranscript;
      this.latestTranscript = null;
      if (transcript !== null) await this.sessions.patch(id, { transcript });
    });
  }

  /** The live capture changed (a field the agent recorded was accepted): written now, or with the write already queued. */
  persistCaptured(captured: CapturedFields): void {
    if (this.stopped) return;
    const queued = this.latestCaptured !== null;
    this.latestCaptured = captured;
    if (queued) return;
    this.enqueue(async (id) => {
      const latest = this.latestCaptured;
      this.latestCaptured = null;
      if (latest !== null) await this.sessions.patch(id, { captured: latest });
    });
  }

  /**
   * Writes `patch` after the queued writes and resolves once it landed (rejects when it did not): the webhook
   * waits for the row another instance may read (the stream token's hash, the lead id) before answering Twilio.
   */
  announce(patch: VoicePatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue(
        async (id) => {
          await this.sessions.patch(id, patch);
          resolve();
        },
        {},
        () => reject(new Error('session row not written')),
      );
    });
  }

  /** Resolves once the writes queued so far have run. */
  async idle(): Promise<void> {
    await this.writes;
  }

  /** The call is over: no more heartbeats or transcript writes. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.latestTranscript = null;
    this.latestCaptured = null;
  }

  /**
   * Runs `write` after the queued ones, with the session's id (the first write creates the row with `initial`);
   * `onFailure` runs when it fails (logged either way, never thrown).
   */
  private enqueue(write: (id: string) => Promise<void>, initial: VoicePatch = {}, onFailure?: () => void): void {
    this.writes = this.writes
      .then(async () => {
        if (this.id === null) {
          this.id = await this.sessions.open({ channel: 'voice', sessionKey: this.callSid, state: { ...initial, instanceId: this.instanceId } });
          if (Object.keys(initial).length > 0) return;
        }
        await write(this.id);
      })
      .catch((error: unknown) => {
        this.logger.error({ err: reasonOf(error) }, 'session write failed');
        onFailure?.();
      });
  }
}
