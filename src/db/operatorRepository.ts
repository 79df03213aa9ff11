import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { secretDigest } from '../security/secretDigest.js';
import {
  OperatorSchema,
  OperatorSessionSchema,
  OperatorTokenSchema,
  type OperatorRow,
  type OperatorSessionRow,
  type OperatorTokenRow,
} from './entities/index.js';
import type { Database } from './orm.js';

/** An operator as the console and the CLI show it: never the password hash. */
export interface OperatorRecord {
  id: string;
  name: string;
  createdAt: Date;
}

/** An operator with the hash, for checking a password only. */
export interface OperatorCredentials extends OperatorRecord {
  passwordHash: string;
}

/** A signed-in session (found by its secret; the row holds only the secret's SHA-256). */
export interface OperatorSessionRecord {
  operator: OperatorRecord;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  ip: string | null;
}

export interface NewOperatorSession {
  /** The secret the cookie carries; only its digest is stored. */
  secret: string;
  operatorId: string;
  csrfToken: string;
  expiresAt: Date;
  ip: string | null;
  /** Creation time (defaults to now): the clock of the caller, so the lifetime arithmetic has one clock. */
  at?: Date;
}

/** An API token (never the token itself). */
export interface OperatorTokenRecord {
  id: string;
  operator: OperatorRecord;
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * The operators, operator_sessions and operator_tokens tables. Session secrets and API tokens are hashed here
 * (secretDigest) on the way in, so no caller can store or look one up in plain text by mistake.
 */
export class OperatorRepository {
  constructor(private readonly db: Database) {}

  /** Adds an operator; null when the name is taken. */
  async add(name: string, passwordHash: string, em: EntityManager = this.db.em()): Promise<OperatorRecord | null> {
    const rows = await em.execute<Array<{ id: string; created_at: Date }>>(
      `insert into operators (id, name, password_hash, created_at) values (?, ?, ?, now())
       on conflict (name) do nothing returning id, created_at`,
      [randomUUID(), name, passwordHash],
    );
    const row = rows[0];
    return row === undefined ? null : { id: row.id, name, createdAt: new Date(row.created_at) };
  }

  /** Every operator, by name. */
  async list(): Promise<OperatorRecord[]> {
    const rows = await this.db.em().find(OperatorSchema, {}, { orderBy: { name: 'asc' } });
    return rows.map(operatorRecord);
  }

  async byName(name: string): Promise<OperatorCredentials | null> {
    const row = await this.db.em().findOne(OperatorSchema, { name });
    return row && { ...operatorRecord(row), passwordHash: row.passwordHash };
  }

  /** Deletes the operator with their sessions and tokens (foreign keys cascade); false when there was none. */
  async remove(name: string, em: EntityManager = this.db.em()): Promise<boolean> {
    return (await em.nativeDelete(OperatorSchema, { name })) > 0;
  }

  /** Sets a new password hash and ends every session of the operator; false when there is no such operator. */
  async setPassword(name: string, passwordHash: string, em: EntityManager = this.db.em()): Promise<boolean> {
    const operator = await em.findOne(OperatorSchema, { name });
    if (operator === null) return false;
    await em.nativeUpdate(OperatorSchema, { id: operator.id }, { passwordHash });
    await em.nativeDelete(OperatorSessionSchema, { operator: operator.id });
    return true;
  }

  async createSession(session: NewOperatorSession, em: EntityManager = this.db.em()): Promise<void> {
    const at = session.at ?? new Date();
    await em.insert(OperatorSessionSchema, {
      id: secretDigest(session.secret),
      operator: session.operatorId,
      csrfToken: session.csrfToken,
      createdAt: at,
      expiresAt: session.expiresAt,
      lastSeenAt: at,
      ip: session.ip,
    });
  }

  /** The session whose secret this is, expired or not (the caller decides), with its operator. */
  async findSessionBySecret(secret: string): Promise<OperatorSessionRecord | null> {
    const row = await this.db.em().findOne(OperatorSessionSchema, { id: secretDigest(secret) }, { populate: ['operator'] });
    return row && sessionRecord(row);
  }

  /** Records that the session was used at `at`; with `expiresAt`, moves its expiry too (a sliding lifetime). */
  async touchSession(secret: string, at: Date, expiresAt?: Date): Promise<void> {
    await this.db
      .em()
      .nativeUpdate(OperatorSessionSchema, { id: secretDigest(secret) }, { lastSeenAt: at, ...(expiresAt ? { expiresAt } : {}) });
  }

  /** False when there was no such session. */
  async deleteSession(secret: string, em: EntityManager = this.db.em()): Promise<boolean> {
    return (await em.nativeDelete(OperatorSessionSchema, { id: secretDigest(secret) })) > 0;
  }

  /** Deletes the sessions that expired by `now`; returns how many. */
  async deleteExpiredSessions(now: Date, em: EntityManager = this.db.em()): Promise<number> {
    return em.nativeDelete(OperatorSessionSchema, { expiresAt: { $lte: now } });
  }

  /** Stores a new API token of the operator (by its digest). */
  async createToken(operatorId: string, token: string, label: string | null, em: EntityManager = this.db.em()): Promise<string> {
    const id = randomUUID();
    await em.insert(OperatorTokenSchema, {
      id,
      operator: operatorId,
      tokenHash: secretDigest(token),
      label,
      createdAt: new Date(),
      lastUsedAt: null,
    });
    return id;
  }

  async findToken(token: string): Promise<OperatorTokenRecord | null> {
    const row = await this.db.em().findOne(OperatorTokenSchema, { tokenHash: secretDigest(token) }, { populate: ['operator'] });
    return row && tokenRecord(row);
  }

  /** The operator's tokens, oldest first. */
  async tokensOf(operatorId: string): Promise<OperatorTokenRecord[]> {
    const rows = await this.db
      .em()
      .find(OperatorTokenSchema, { operator: operatorId }, { populate: ['operator'], orderBy: { createdAt: 'asc', id: 'asc' } });
    return rows.map(tokenRecord);
  }

  async touchToken(id: string, at: Date): Promise<void> {
    await this.db.em().nativeUpdate(OperatorTokenSchema, { id }, { lastUsedAt: at });
  }
}

function operatorRecord(row: OperatorRow): OperatorRecord {
  return { id: row.id, name: row.name, createdAt: row.createdAt };
}

function sessionRecord(row: OperatorSessionRow): OperatorSessionRecord {
  return {
    operator: operatorRecord(row.operator.getEntity()),
    csrfToken: row.csrfToken,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastSeenAt: row.lastSeenAt,
    ip: row.ip ?? null,
  };
}

function tokenRecord(row: OperatorTokenRow): OperatorTokenRecord {
  return {
    id: row.id,
    operator: operatorRecord(row.operator.getEntity()),
    label: row.label ?? null,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt ?? null,
  };
}
