/**
 * At most `size` NPA passes of this process at once (each pass has one request out at a time, so this caps the
 * requests at once). A pass takes its slot before it claims its row, so no lease runs down in a queue and rows this
 * process cannot send now stay free for other instances. Waiters are served in order and may give up.
 */
export class RequestSlots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  /** Slots free for `tryTake` now (none while someone waits: waiters come first). */
  get free(): number {
    return this.waiters.length > 0 ? 0 : Math.max(0, this.size - this.used);
  }

  /** Takes a slot if one is free now and nobody is waiting for one. */
  tryTake(): boolean {
    if (this.waiters.length > 0 || this.used >= this.size) return false;
    this.used++;
    return true;
  }

  /** Takes a slot, waiting for one; false (and no slot) if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.tryTake()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', giveUp);
        resolve(true);
      };
      const giveUp = (): void => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(false);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }

  /** Gives a slot back: to the first waiter, else to the pool. */
  give(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used = Math.max(0, this.used - 1);
  }
}
