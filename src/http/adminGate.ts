import { secretsEqual } from '../security/secretsEqual.js';
import { bearerToken } from './metricsRoute.js';

/** Who is asking: a signed-in operator (browser session), an operator's API token, or the environment's ADMIN_TOKEN. */
export interface Principal {
  /** The operator's name; `ADMIN_TOKEN` for the environment's token (what the audit log records). */
  readonly name: string;
  readonly kind: 'session' | 'token' | 'env';
  /** The session's CSRF token: every action of a cookie session must carry it. Null for bearer clients. */
  readonly csrfToken: string | null;
}

/** A signed-in session as the accounts module reports it. */
export interface OperatorSession {
  operator: { name: string };
  csrfToken: string;
  expiresAt: Date;
}

/** What the gate needs of operator accounts (src/admin/operatorAccounts.ts satisfies it). */
export interface OperatorDirectory {
  /** The live session of a cookie's secret, or null (unknown or expired). */
  sessionFor(secret: string): Promise<OperatorSession | null>;
  /** The operator an API token belongs to, or null. */
  operatorForToken(token: string): Promise<{ name: string } | null>;
  /** How many operators exist (the console is off with none and no ADMIN_TOKEN). */
  count(): Promise<number>;
}

/** The headers authentication reads, copied synchronously out of the request. */
export interface AuthHeaders {
  cookie: string;
  authorization: string;
}

export const SESSION_COOKIE = 'psb_session';

/** Decides whether the console is on and who a request comes from. */
export class AdminGate {
  private countCache: { at: number; count: number } | null = null;

  constructor(
    private readonly directory: OperatorDirectory,
    private readonly envToken: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** On with ADMIN_TOKEN or at least one operator (counted at most once a second: `leads operators add` turns it on). */
  async enabled(): Promise<boolean> {
    if (this.envToken !== undefined) return true;
    const cached = this.countCache;
    if (cached !== null && this.now() - cached.at < 1_000) return cached.count > 0;
    const count = await this.directory.count();
    this.countCache = { at: this.now(), count };
    return count > 0;
  }

  /** Forgets the operator count: the next request counts again. */
  forgetCount(): void {
    this.countCache = null;
  }

  /** The principal behind a bearer token or a session cookie; null when neither is valid. */
  async authenticate(headers: AuthHeaders): Promise<Principal | null> {
    const bearer = bearerToken(headers.authorization);
    if (bearer !== undefined) {
      if (this.envToken !== undefined && secretsEqual(bearer, this.envToken)) return { name: 'ADMIN_TOKEN', kind: 'env', csrfToken: null };
      const operator = await this.directory.operatorForToken(bearer);
      return operator === null ? null : { name: operator.name, kind: 'token', csrfToken: null };
    }
    const secret = cookieValue(headers.cookie, SESSION_COOKIE);
    if (secret === undefined || secret === '') return null;
    const session = await this.directory.sessionFor(secret);
    return session === null ? null : { name: session.operator.name, kind: 'session', csrfToken: session.csrfToken };
  }
}

/** One cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether a request's CSRF header matches its session's token (constant time; an empty header never does). */
export function csrfMatches(header: string, expected: string): boolean {
  return header !== '' && expected !== '' && secretsEqual(header, expected);
}

/** Whether a browser's Origin header names this server's Host (a request from our own page). */
export function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
