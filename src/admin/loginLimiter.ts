/** Failed logins an account may have within the window before it is refused. */
export const ACCOUNT_FAILURES_MAX = 5;
/** Failed logins one client address may have within the window (a spray across many accounts). */
export const ADDRESS_FAILURES_MAX = 20;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Keys remembered at most; past this the oldest are forgotten first (bounds memory under a spray of names). */
const MAX_KEYS = 50_000;

export interface LoginLimiterOptions {
  accountFailuresMax?: number;
  addressFailuresMax?: number;
  windowMs?: number;
  maxKeys?: number;
  now?: () => number;
}

/** Whether a login may be tried now; when not, how long until it may. */
export interface LoginVerdict {
  allowed: boolean;
  retryAfterMs: number;
}

/**
 * Rate limits login attempts: failures are counted per account name and per client address over a sliding window;
 * a success clears the account's failures (not the address's). Counts live in memory, per server instance: several
 * instances each allow the limit, and a restart forgets them; that bounds guessing well enough for a console of a
 * handful of operators without a shared store. Unknown names are counted like real ones, so the limiter does not
 * tell which accounts exist. (src/security/tokenBucket.ts does not fit: it has no reset on success and no way to say
 * when the next attempt will be allowed.)
 */
export class LoginLimiter {
  private readonly accounts = new Map<string, number[]>();
  private readonly addresses = new Map<string, number[]>();
  private readonly accountMax: number;
  private readonly addressMax: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: LoginLimiterOptions = {}) {
    this.accountMax = options.accountFailuresMax ?? ACCOUNT_FAILURES_MAX;
    this.addressMax = options.addressFailuresMax ?? ADDRESS_FAILURES_MAX;
    this.windowMs = options.windowMs ?? LOGIN_WINDOW_MS;
    this.maxKeys = options.maxKeys ?? MAX_KEYS;
    this.now = options.now ?? Date.now;
  }

  /** Whether `account` may try to log in from `address` (null: unknown, only the account's limit applies). */
  check(account: string, address: string | null): LoginVerdict {
    const now = this.now();
    const waits = [this.waitFor(this.accounts, accountKey(account), this.accountMax, now)];
    if (address !== null) waits.push(this.waitFor(this.addresses, addressKey(address), this.addressMax, now));
    const retryAfterMs = Math.max(...waits);
    return { allowed: retryAfterMs === 0, retryAfterMs };
  }

  /**
   * One login attempt: the verdict, and when allowed the attempt is counted as a failure at once, so concurrent
   * attempts cannot all pass the check before the first of them fails. Call `succeeded` if it turns out right.
   */
  attempt(account: string, address: string | null): LoginVerdict {
    const verdict = this.check(account, address);
    if (verdict.allowed) this.recordFailure(account, address);
    return verdict;
  }

  /** An attempt let through by `attempt` was right: the account starts afresh, the address gets its attempt back. */
  succeeded(account: string, address: string | null): void {
    this.recordSuccess(account);
    if (address === null) return;
    const key = addressKey(address);
    const failures = this.addresses.get(key);
    failures?.pop();
    if (failures?.length === 0) this.addresses.delete(key);
  }

  recordFailure(account: string, address: string | null): void {
    const now = this.now();
    this.add(this.accounts, accountKey(account), this.accountMax, now);
    if (address !== null) this.add(this.addresses, addressKey(address), this.addressMax, now);
  }

  /** A successful login: the account starts afresh. */
  recordSuccess(account: string): void {
    this.accounts.delete(accountKey(account));
  }

  /** How long until `key` is below `max` failures (0: now). */
  private waitFor(map: Map<string, number[]>, key: string, max: number, now: number): number {
    const failures = this.live(map, key, now);
    if (failures.length < max) return 0;
    // The oldest failure that must leave the window for one more attempt to be allowed.
    const oldest = failures[failures.length - max] ?? now;
    return Math.max(1, oldest + this.windowMs - now);
  }

  private add(map: Map<string, number[]>, key: string, max: number, now: number): void {
    const failures = this.live(map, key, now);
    failures.push(now);
    // Only the latest `max` failures matter to any verdict.
    if (failures.length > max) failures.splice(0, failures.length - max);
    // Re-inserting moves the key to the end of the Map's order: the first keys are the least recently failed.
    map.delete(key);
    map.set(key, failures);
    while (map.size > this.maxKeys) {
      const first = map.keys().next();
      if (first.done) break;
      map.delete(first.value);
    }
  }

  /** The key's failures still inside the window (dropping the key when none are). */
  private live(map: Map<string, number[]>, key: string, now: number): number[] {
    const failures = (map.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (failures.length === 0) map.delete(key);
    else map.set(key, failures);
    return failures;
  }
}

/** Longest key kept (login names are at most 40, addresses 45): a spray of huge names cannot fill memory. */
const KEY_MAX_CHARS = 64;

/** Login names are case-insensitive: `Alice` and `alice` share one count. */
function accountKey(account: string): string {
  return account.slice(0, KEY_MAX_CHARS).toLowerCase();
}

function addressKey(address: string): string {
  return address.slice(0, KEY_MAX_CHARS);
}
