import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverException } from '@mikro-orm/core';
import { reasonOf } from '../../src/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

describe('reasonOf', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('reduces a database error, whose message inlines the bound values, to its class and SQLSTATE', async () => {
    const error = await database.db
      .em()
      .execute(`update conversation_sessions set state = state || ?::jsonb where id = ?`, [
        JSON.stringify({ transcript: 'my name is John Carter' }),
        'CA-not-a-uuid',
      ])
      .then(() => null, (e: unknown) => e);
    // The raw message is the leak this guards against.
    expect((error as Error).message).toContain('John Carter');
    const reason = reasonOf(error);
    expect(reason).not.toContain('John');
    expect(reason).not.toContain('CA-not-a-uuid');
    expect(reason).toMatch(/^database error: \w+Exception \(SQLSTATE 22P02\)$/);
  });

  it('names a socket error as itself, not as a SQLSTATE', () => {
    // As MikroORM wraps a refused connection (seen from the outbox worker with the database cut away).
    const error = new DriverException(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    expect(reasonOf(error)).toBe('database error: DriverException (ECONNREFUSED)');
  });

  it('keeps other errors readable', () => {
    expect(reasonOf(new Error('NPA API error: 503 Service Unavailable'))).toBe('NPA API error: 503 Service Unavailable');
    expect(reasonOf('plain')).toBe('plain');
  });
});
