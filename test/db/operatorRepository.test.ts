import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/repositories.js';
import { secretDigest } from '../../src/security/secretDigest.js';
import { createPgliteTestDatabase, createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

// The same suite on the real PostgreSQL and on the embedded PGlite (the migration runs on both).
describe.each([
  ['postgresql', createTestDatabase],
  ['pglite', createPgliteTestDatabase],
] as const)('OperatorRepository on %s', (_kind, create) => {
  let t: TestDatabase;
  let repos: Repositories;
  beforeAll(async () => {
    t = await create();
    repos = createRepositories(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('adds, finds and lists operators; a taken name gives null', async () => {
    const carol = await repos.operators.add('carol', 'scrypt$hash-c');
    expect(carol).toMatchObject({ name: 'carol' });
    expect(carol?.createdAt).toBeInstanceOf(Date);
    expect(await repos.operators.add('carol', 'scrypt$other')).toBeNull();
    await repos.operators.add('bert', 'scrypt$hash-b');
    expect(await repos.operators.byName('carol')).toEqual({ ...carol, passwordHash: 'scrypt$hash-c' });
    expect(await repos.operators.byName('nobody')).toBeNull();
    expect((await repos.operators.list()).map((o) => o.name)).toEqual(['bert', 'carol']);
    expect(await repos.operators.list()).not.toContainEqual(expect.objectContaining({ passwordHash: expect.anything() }));
  });

  it('stores sessions by the digest of their secret, touches, deletes and expires them', async () => {
    const carol = await repos.operators.byName('carol');
    const at = new Date('2026-12-05T10:00:00Z');
    const base = { operatorId: carol?.id ?? '', csrfToken: 'csrf-1', ip: '192.0.2.1', at };
    await repos.operators.createSession({ ...base, secret: 'secret-live', expiresAt: new Date('2026-12-05T22:00:00Z') });
    await repos.operators.createSession({ ...base, secret: 'secret-old', expiresAt: new Date('2026-12-05T10:30:00Z'), ip: null });
    const rows = await t.db.em().execute<Array<{ id: string }>>('select id from operator_sessions order by id');
    expect(rows.map((r) => r.id).sort()).toEqual([secretDigest('secret-live'), secretDigest('secret-old')].sort());

    const live = await repos.operators.findSessionBySecret('secret-live');
    expect(live).toMatchObject({ operator: { name: 'carol' }, csrfToken: 'csrf-1', ip: '192.0.2.1', createdAt: at, lastSeenAt: at });
    const later = new Date('2026-12-05T11:00:00Z');
    await repos.operators.touchSession('secret-live', later);
    expect((await repos.operators.findSessionBySecret('secret-live'))?.lastSeenAt).toEqual(later);
    await repos.operators.touchSession('secret-live', later, new Date('2026-12-05T21:00:00Z'));
    expect((await repos.operators.findSessionBySecret('secret-live'))?.expiresAt).toEqual(new Date('2026-12-05T21:00:00Z'));

    expect(await repos.operators.deleteExpiredSessions(new Date('2026-12-05T10:30:00Z'))).toBe(1);
    expect(await repos.operators.findSessionBySecret('secret-old')).toBeNull();
    expect(await repos.operators.deleteSession('secret-live')).toBe(true);
    expect(await repos.operators.deleteSession('secret-live')).toBe(false);
  });

  it('stores tokens by digest, finds and touches them; removing an operator cascades to both', async () => {
    const bert = await repos.operators.byName('bert');
    const id = await repos.operators.createToken(bert?.id ?? '', 'psb_token-b', 'ci');
    expect(await repos.operators.findToken('psb_token-b')).toMatchObject({ id, operator: { name: 'bert' }, label: 'ci', lastUsedAt: null });
    expect(await repos.operators.findToken('psb_token-x')).toBeNull();
    const used = new Date('2026-12-05T12:00:00Z');
    await repos.operators.touchToken(id, used);
    expect((await repos.operators.findToken('psb_token-b'))?.lastUsedAt).toEqual(used);
    await repos.operators.createSession({ secret: 'secret-b', operatorId: bert?.id ?? '', csrfToken: 'c', ip: null, expiresAt: new Date(Date.now() + 60_000) });

    expect(await repos.operators.remove('bert')).toBe(true);
    expect(await repos.operators.remove('bert')).toBe(false);
    expect(await repos.operators.findToken('psb_token-b')).toBeNull();
    expect(await repos.operators.findSessionBySecret('secret-b')).toBeNull();
  });
});
