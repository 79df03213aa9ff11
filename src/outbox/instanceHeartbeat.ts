import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { InstanceRepository } from '../db/instanceRepository.js';

/** A fresh instance id for a process started without INSTANCE_ID: host, pid and a random part (never a colon). */
export function randomInstanceId(): string {
  return `${hostname().replaceAll(':', '-')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * This process's row in `instances`, stamped every `heartbeatMs` while it runs, so the other instances know it is
 * alive; once the stamp is older than their grace they take over its calls and outbox claims. `stop()` on a clean
 * shutdown marks it stopped (what it left may then be taken at once). A failed beat is logged and tried again.
 */
export class InstanceHeartbeat {
  private readonly timer: NodeJS.Timeout;
  private beating = false;

  private constructor(
    readonly id: string,
    private readonly instances: InstanceRepository,
    heartbeatMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.beat(), heartbeatMs);
    this.timer.unref();
  }

  /** Registers the instance (its start stamped now) and starts its heartbeat. */
  static async start(instances: InstanceRepository, options: { id: string; heartbeatMs: number; logger: Logger }): Promise<InstanceHeartbeat> {
    await instances.register(options.id);
    return new InstanceHeartbeat(options.id, instances, options.heartbeatMs, options.logger.child({ component: 'instance', instanceId: options.id }));
  }

  /** No more heartbeats; the row says the instance stopped. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.instances.stop(this.id).catch((error: unknown) => this.logger.warn({ err: reasonOf(error) }, 'could not mark the instance stopped'));
  }

  private beat(): void {
    if (this.beating) return;
    this.beating = true;
    this.instances
      .beat(this.id)
      .catch((error: unknown) => this.logger.warn({ err: reasonOf(error) }, 'instance heartbeat failed'))
      .finally(() => (this.beating = false));
  }
}
