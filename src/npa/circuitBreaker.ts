/**
 * Where the circuit stands. `closed`: requests go, consecutive failures are counted. `open`: nothing is sent until
 * `retryAt`. `half-open`: one request (the probe) is out and nothing else goes until it ends. `cooldownMs` is the
 * wait the circuit opened with; a failed probe doubles it, up to the breaker's maximum.
 */
export type CircuitState =
  | { readonly kind: 'closed'; readonly failures: number }
  | { readonly kind: 'open'; readonly retryAt: number; readonly cooldownMs: number }
  | { readonly kind: 'half-open'; readonly cooldownMs: number };

/** Leave to send one request; `probe` when it is the one request a half-open circuit lets through. */
export interface CircuitTicket {
  readonly probe: boolean;
}

export interface CircuitBreakerOptions {
  /** Consecutive failed requests (timeouts, network errors, 5xx, 408, 429) that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before it lets a probe through. */
  cooldownMs: number;
  /** The longest wait after repeated failed probes. */
  maxCooldownMs: number;
  now?: () => number;
}

/**
 * A circuit breaker for one API, its state explicit (`state`) and changed only by the calls below: ask `admit()`
 * before each request, then report how it ended with `answered`, `failed` or `abandoned`. No timers: an open
 * circuit becomes half-open when a request asks after `retryAt`.
 */
export class CircuitBreaker {
  private current: CircuitState = { kind: 'closed', failures: 0 };
  private readonly listeners = new Set<(state: CircuitState, previous: CircuitState) => void>();
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** How many requests may start now: any number when closed, one when open past its wait (the probe), else none. */
  permits(): number {
    switch (this.current.kind) {
      case 'closed':
        return Number.POSITIVE_INFINITY;
      case 'open':
        return this.now() >= this.current.retryAt ? 1 : 0;
      case 'half-open':
        return 0;
    }
  }

  /** When an open circuit lets its probe through (ms since the epoch); null when it is not open. */
  retryAt(): number | null {
    return this.current.kind === 'open' ? this.current.retryAt : null;
  }

  /** Leave to send one request now, or null: the circuit is open (before its wait is over) or a probe is out. */
  admit(): CircuitTicket | null {
    const state = this.current;
    if (state.kind === 'closed') return { probe: false };
    if (state.kind === 'open' && this.now() >= state.retryAt) {
      this.move({ kind: 'half-open', cooldownMs: state.cooldownMs });
      return { probe: true };
    }
    return null;
  }

  /** The API answered the request (any answer that is not a failure): the circuit closes. */
  answered(_ticket: CircuitTicket): void {
    if (this.current.kind === 'closed' && this.current.failures === 0) return;
    this.move({ kind: 'closed', failures: 0 });
  }

  /**
   * The request failed. Closed: one more consecutive failure, and at the threshold the circuit opens. A failed
   * probe opens it again for twice as long. A request sent before the circuit opened changes nothing once it is open.
   */
  failed(ticket: CircuitTicket): void {
    const state = this.current;
    if (state.kind === 'closed') {
      const failures = state.failures + 1;
      if (failures >= this.options.failureThreshold) this.open(this.options.cooldownMs);
      else this.move({ kind: 'closed', failures });
    } else if (state.kind === 'half-open' && ticket.probe) {
      this.open(Math.min(this.options.maxCooldownMs, state.cooldownMs * 2));
    }
  }

  /** The caller gave up before the request ended: a probe's place goes to the next request at once. */
  abandoned(ticket: CircuitTicket): void {
    const state = this.current;
    if (state.kind === 'half-open' && ticket.probe) this.move({ kind: 'open', retryAt: this.now(), cooldownMs: state.cooldownMs });
  }

  /** Calls `listener` on every change of state; returns the unsubscribe. */
  onChange(listener: (state: CircuitState, previous: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` each time the circuit closes again after it opened; returns the unsubscribe. */
  onClosed(listener: () => void): () => void {
    return this.onChange((state, previous) => {
      if (state.kind === 'closed' && previous.kind !== 'closed') listener();
    });
  }

  private open(cooldownMs: number): void {
    this.move({ kind: 'open', retryAt: this.now() + cooldownMs, cooldownMs });
  }

  private move(next: CircuitState): void {
    const previous = this.current;
    this.current = next;
    for (const listener of this.listeners) listener(next, previous);
  }
}
