import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Turn } from '../leads/lead.js';
import type { SessionRepository } from '../db/sessionRepository.js';
import type { VoicePatch } from '../db/entities/sessionState.js';

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
  private heartbeat: NodeJS.Timeout | undefined;
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

  /** The call entered `phase`: writes it with when, and the machine's view of the call. */
  persist(phase: string, state: VoicePatch): void {
    this.timings[phase] = new Date().toISOString();
    const patch: VoicePatch = { ...state, phase, timings: { ...this.timings } };
    this.enqueue((id) => this.sessions.patch(id, patch), patch);
  }

  /** The transcript changed: written now, or with the write already queued. */
  persistTranscript(turns: Turn[]): void {
    const queued = this.latestTranscript !== null;
    this.latestTranscript = turns;
    if (queued) return;
    this.enqueue(async (id) => {
      const transcript = this.latestTranscript;
      this.latestTranscript = null;
      if (transcript !== null) await this.sessions.patch(id, { transcript });
    });
  }

  /** Resolves once the writes queued so far have run. */
  async idle(): Promise<void> {
    await this.writes;
  }

  /** The call is over: no more heartbeats or transcript writes. */
  stop(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.latestTranscript = null;
  }

  /** Runs `write` after the queued ones, with the session's id (the first write creates the row with `initial`). */
  private enqueue(write: (id: string) => Promise<void>, initial: VoicePatch = {}): void {
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
      });
  }
}
