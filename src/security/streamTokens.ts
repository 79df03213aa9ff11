import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What the session row keeps of a stream token (any instance can check a token against it; the token is not kept). */
export const streamTokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * One-time tokens binding a Media Stream to the signed webhook that created its call.
 *
 * Twilio signs a stream upgrade over its URL alone (no parameters, no timestamp), so one captured upgrade signature
 * would open any number of streams. The webhook's TwiML therefore carries a random per-call token as a stream
 * `<Parameter>`; Twilio returns it in `start.customParameters`, and a `start` without the right token is refused.
 */
export class StreamTokens {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token for this call (the same one while unused, so a retried webhook gets the same TwiML). */
  issue(callSid: string): string {
    this.sweep();
    const existing = this.tokens.get(callSid);
    if (existing !== undefined) return existing.token;
    const token = randomBytes(18).toString('base64url');
    this.tokens.set(callSid, { token, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** Whether `token` is this call's; a match consumes it (a second stream cannot reuse it). */
  consume(callSid: string, token: string | undefined): boolean {
    const entry = this.tokens.get(callSid);
    if (entry === undefined || token === undefined || entry.expiresAt < this.now()) return false;
    const a = Buffer.from(entry.token);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    this.tokens.delete(callSid);
    return true;
  }

  get size(): number {
    return this.tokens.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [callSid, entry] of this.tokens) if (entry.expiresAt < now) this.tokens.delete(callSid);
  }
}
