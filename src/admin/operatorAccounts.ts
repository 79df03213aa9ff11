import { randomBytes } from 'node:crypto';
import { CLI_ACTOR } from '../db/auditRepository.js';
import type { OperatorRecord } from '../db/operatorRepository.js';
import type { Repositories } from '../db/repositories.js';
import { BadInputError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../errors.js';
import type { LoginLimiter } from './loginLimiter.js';
import { hashPassword, verifyPassword } from './passwords.js';

/** A login name: `alice`, `j.smith`, `ops-2`. Stored lowercased: names are case-insensitive. */
export const OPERATOR_NAME = /^[a-z0-9][a-z0-9._-]{1,39}$/i;
/** How long a session lasts from its login, whatever its use (the operator signs in again after). */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
/** A session's last_seen_at is written at most this often (not on every request). */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
/** An API token's last_used_at likewise. */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;
/** API tokens start with this, so a leaked one is recognizable (secret scanners, logs reviews). */
export const API_TOKEN_PREFIX = 'psb_';
const SECRET_BYTES = 32;
/** Longer than any secret we issue: anything longer is refused without hashing it. */
const SECRET_MAX_CHARS = 128;
const LABEL_MAX_CHARS = 100;

/** A refused login. The message is the same for an unknown name and a wrong password. */
export class LoginRefusedError extends UnauthorizedError {
  constructor() {
    super('wrong name or password');
  }
}

/** Too many failed logins for this account or from this address. */
export class LoginThrottledError extends TooManyRequestsError {
  constructor(retryAfterMs: number) {
    super('too many failed logins: try again later', retryAfterMs);
  }
}

/** A session just opened: `sessionSecret` goes into the cookie and is stored nowhere (only its SHA-256). */
export interface LoginResult {
  sessionSecret: string;
  csrfToken: string;
  expiresAt: Date;
  operator: OperatorRecord;
}

/** A valid session, as a request handler needs it. */
export interface SessionInfo {
  operator: OperatorRecord;
  csrfToken: string;
  expiresAt: Date;
}

export interface OperatorAccountsOptions {
  /** Absent: logins are not rate-limited (the CLI never logs in; the server passes one). */
  limiter?: LoginLimiter;
  sessionLifetimeMs?: number;
  /** With it, each use moves the expiry to now + idle (never past the absolute lifetime). */
  sessionIdleMs?: number;
  now?: () => Date;
}

/**
 * The rules of operator accounts, over the repositories: the `leads operators` command and the console's HTTP
 * layer both go through here. Names are case-insensitive (stored lowercased); passwords only ever exist as scrypt
 * hashes; session secrets and API tokens only as SHA-256 digests.
 */
export class OperatorAccounts {
  private readonly lifetimeMs: number;
  private readonly idleMs: number | undefined;
  private readonly now: () => Date;
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly repos: Repositories,
    private readonly options: OperatorAccountsOptions = {},
  ) {
    this.lifetimeMs = options.sessionLifetimeMs ?? SESSION_LIFETIME_MS;
    this.idleMs = options.sessionIdleMs;
    this.now = options.now ?? (() => new Date());
  }

  /** Adds an operator; BadInputError for a bad or taken name, PasswordPolicyError for a weak password. */
  async addOperator(name: string, password: string, by: string = CLI_ACTOR): Promise<OperatorRecord> {
    const login = operatorName(name);
    const hash = await hashPassword(password);
    return this.repos.db.em().transactional(async (em) => {
      const added = await this.repos.operators.add(login, hash, em);
      if (added === null) throw new BadInputError(`operator ${login} already exists`);
      await this.repos.audit.record({ operator: by, action: 'operator.add', detail: { name: login } }, em);
      return added;
    });
  }

  listOperators(): Promise<OperatorRecord[]> {
    return this.repos.operators.list();
  }

  /** Removes an operator with their sessions and tokens; the audit log keeps their name. NotFoundError if none. */
  async removeOperator(name: string, by: string = CLI_ACTOR): Promise<void> {
    const login = lookupName(name);
    await this.repos.db.em().transactional(async (em) => {
      if (login === null || !(await this.repos.operators.remove(login, em))) throw new NotFoundError(`no operator named ${name}`);
      await this.repos.audit.record({ operator: by, action: 'operator.remove', detail: { name: login } }, em);
    });
  }

  /**
   * Sets a new password (the policy of a new one applies) and signs the operator out everywhere: every session ends,
   * API tokens stay. NotFoundError for an unknown name. Audited, never with the password.
   */
  async changePassword(name: string, password: string, by: string = CLI_ACTOR): Promise<void> {
    const login = lookupName(name);
    if (login === null) throw new NotFoundError(`no operator named ${name}`);
    const hash = await hashPassword(password);
    await this.repos.db.em().transactional(async (em) => {
      if (!(await this.repos.operators.setPassword(login, hash, em))) throw new NotFoundError(`no operator named ${name}`);
      await this.repos.audit.record({ operator: by, action: 'operator.password', detail: { name: login } }, em);
    });
  }

  /** Creates an API token for the operator and returns it: the only time it is ever seen. */
  async createApiToken(name: string, label?: string, by: string = CLI_ACTOR): Promise<string> {
    const cleanLabel = tokenLabel(label);
    const login = lookupName(name);
    const operator = login === null ? null : await this.repos.operators.byName(login);
    if (operator === null) throw new NotFoundError(`no operator named ${name}`);
    const token = `${API_TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
    await this.repos.db.em().transactional(async (em) => {
      const id = await this.repos.operators.createToken(operator.id, token, cleanLabel, em);
      await this.repos.audit.record({ operator: by, action: 'operator.token', detail: { name: operator.name, tokenId: id, label: cleanLabel } }, em);
    });
    return token;
  }

  /**
   * Checks the password and opens a session. LoginRefusedError for an unknown name or a wrong password (the same
   * message, and the same scrypt work, so neither the answer nor its timing tells which); LoginThrottledError when
   * the limiter says wait.
   */
  async login(name: string, password: string, ip: string | null): Promise<LoginResult> {
    const limiter = this.options.limiter;
    // Counted before the password is checked: parallel guesses cannot all slip under the limit.
    const verdict = limiter?.attempt(name, ip);
    if (verdict && !verdict.allowed) throw new LoginThrottledError(verdict.retryAfterMs);
    // Awaited on both paths, so the one-off cost of making it is not a tell on the first login either.
    const dummy = await this.dummy();
    const login = lookupName(name);
    const operator = login === null ? null : await this.repos.operators.byName(login);
    const matches = await verifyPassword(password, operator?.passwordHash ?? dummy);
    if (operator === null || !matches) throw new LoginRefusedError();
    limiter?.succeeded(name, ip);
    const now = this.now();
    const sessionSecret = randomBytes(SECRET_BYTES).toString('base64url');
    const csrfToken = randomBytes(SECRET_BYTES).toString('base64url');
    const expiresAt = this.initialExpiry(now);
    const record: OperatorRecord = { id: operator.id, name: operator.name, createdAt: operator.createdAt };
    await this.repos.db.em().transactional(async (em) => {
      // Each login also clears out expired sessions of everyone: the table stays small without a timer.
      await this.repos.operators.deleteExpiredSessions(now, em);
      await this.repos.operators.createSession({ secret: sessionSecret, operatorId: operator.id, csrfToken, expiresAt, ip, at: now }, em);
      await this.repos.audit.record({ operator: operator.name, action: 'operator.login' }, em);
    });
    return { sessionSecret, csrfToken, expiresAt, operator: record };
  }

  /** The session a cookie's secret opens, or null (unknown or expired; an expired one is deleted). */
  async sessionFor(secret: string): Promise<SessionInfo | null> {
    if (!plausibleSecret(secret)) return null;
    const session = await this.repos.operators.findSessionBySecret(secret);
    if (session === null) return null;
    const now = this.now();
    if (session.expiresAt.getTime() <= now.getTime()) {
      await this.repos.operators.deleteSession(secret);
      return null;
    }
    let { expiresAt } = session;
    if (now.getTime() - session.lastSeenAt.getTime() >= SESSION_TOUCH_INTERVAL_MS) {
      const slid = this.slidExpiry(session.createdAt, now);
      if (slid !== undefined) expiresAt = slid;
      await this.repos.operators.touchSession(secret, now, slid);
    }
    return { operator: session.operator, csrfToken: session.csrfToken, expiresAt };
  }

  /** Ends the session (audited); false when there was none. */
  async logout(secret: string): Promise<boolean> {
    if (!plausibleSecret(secret)) return false;
    const session = await this.repos.operators.findSessionBySecret(secret);
    if (session === null) return false;
    return this.repos.db.em().transactional(async (em) => {
      const deleted = await this.repos.operators.deleteSession(secret, em);
      if (deleted) await this.repos.audit.record({ operator: session.operator.name, action: 'operator.logout' }, em);
      return deleted;
    });
  }

  /** The operator an `Authorization: Bearer` token belongs to, or null. */
  async operatorForToken(token: string): Promise<OperatorRecord | null> {
    if (!token.startsWith(API_TOKEN_PREFIX) || !plausibleSecret(token)) return null;
    const found = await this.repos.operators.findToken(token);
    if (found === null) return null;
    const now = this.now();
    if (found.lastUsedAt === null || now.getTime() - found.lastUsedAt.getTime() >= TOKEN_TOUCH_INTERVAL_MS) {
      await this.repos.operators.touchToken(found.id, now);
    }
    return found.operator;
  }

  private initialExpiry(now: Date): Date {
    const absolute = now.getTime() + this.lifetimeMs;
    return new Date(this.idleMs === undefined ? absolute : Math.min(absolute, now.getTime() + this.idleMs));
  }

  /** With an idle timeout: the expiry after a use at `now`, capped by the absolute lifetime. */
  private slidExpiry(createdAt: Date, now: Date): Date | undefined {
    if (this.idleMs === undefined) return undefined;
    return new Date(Math.min(createdAt.getTime() + this.lifetimeMs, now.getTime() + this.idleMs));
  }

  /** A hash of a random password with the real cost: what an unknown name's password is checked against. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}

/** A name for a new operator, lowercased; BadInputError when it is not a valid login name. */
export function operatorName(name: string): string {
  const login = lookupName(name);
  if (login === null) {
    throw new BadInputError('operator name must be 2-40 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return login;
}

/** The stored form of a name to look up; null when it cannot be any operator's. */
function lookupName(name: string): string | null {
  return OPERATOR_NAME.test(name) ? name.toLowerCase() : null;
}

function tokenLabel(label: string | undefined): string | null {
  if (label === undefined || label.trim() === '') return null;
  if (label.length > LABEL_MAX_CHARS || /[\u0000-\u001f\u007f-\u009f]/.test(label)) {
    throw new BadInputError(`token label must be at most ${LABEL_MAX_CHARS} characters, without control characters`);
  }
  return label.trim();
}

function plausibleSecret(secret: string): boolean {
  return secret.length > 0 && secret.length <= SECRET_MAX_CHARS;
}
