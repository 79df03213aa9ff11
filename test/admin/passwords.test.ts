import { describe, expect, it } from 'vitest';
import { BadInputError, httpStatusOf } from '../../src/errors.js';
import { PASSWORD_MIN_CHARS, PasswordPolicyError, hashPassword, verifyPassword } from '../../src/admin/passwords.js';

describe('hashPassword / verifyPassword', () => {
  it('stores a self-describing scrypt hash that verifies the password and nothing else', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    const [, , , , salt, hash] = stored.split('$');
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(hash ?? '', 'base64')).toHaveLength(32);
    expect(stored).not.toContain('correct');
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash: the same password twice gives two different strings', async () => {
    const [a, b] = await Promise.all([hashPassword('same password!'), hashPassword('same password!')]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same password!', b)).resolves.toBe(true);
  });

  it('reads the cost from the stored string (a hash made with N=2^14 still verifies)', async () => {
    const stored = await hashPassword('cheaper one here', { N: 2 ** 14, r: 8, p: 1 });
    expect(stored.startsWith('scrypt$16384$8$1$')).toBe(true);
    await expect(verifyPassword('cheaper one here', stored)).resolves.toBe(true);
  });

  it('treats a composed and a decomposed accent as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait!');
    await expect(verifyPassword('cafe\u0301 au lait!', stored)).resolves.toBe(true);
  });

  it('never matches a malformed or unreasonable stored hash', async () => {
    const good = await hashPassword('a fine password');
    const [, , , , salt, hash] = good.split('$');
    for (const stored of [
      '',
      'plain text',
      `bcrypt$32768$8$1$${salt}$${hash}`,
      `scrypt$32767$8$1$${salt}$${hash}`,
      `scrypt$${2 ** 22}$8$1$${salt}$${hash}`,
      `scrypt$32768$0$1$${salt}$${hash}`,
      `scrypt$32768$8$1$$${hash}`,
      `scrypt$32768$8$1$${salt}$`,
      `scrypt$32768$8$1$${salt}`,
    ]) {
      await expect(verifyPassword('a fine password', stored)).resolves.toBe(false);
    }
  });

  it(`refuses a password shorter than ${PASSWORD_MIN_CHARS} characters with a typed error that does not quote it`, async () => {
    const error = await hashPassword('short pw1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect(error).toBeInstanceOf(BadInputError);
    expect(httpStatusOf(error)).toBe(400);
    expect((error as Error).message).toBe('password too short: at least 10 characters');
    // Characters, not bytes: ten accented letters are long enough.
    await expect(hashPassword('\u00e9'.repeat(10))).resolves.toMatch(/^scrypt\$/);
  });

  it('refuses an absurdly long password, and never matches one', async () => {
    await expect(hashPassword('x'.repeat(1_025))).rejects.toThrow('password too long');
    const stored = await hashPassword('x'.repeat(1_024));
    await expect(verifyPassword('x'.repeat(1_024), stored)).resolves.toBe(true);
    await expect(verifyPassword('x'.repeat(100_000), stored)).resolves.toBe(false);
  });
});
