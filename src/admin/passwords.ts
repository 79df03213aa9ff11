import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { BadInputError } from '../errors.js';

/** Shortest password an operator may set (characters, not bytes). */
export const PASSWORD_MIN_CHARS = 10;
/** Longest: far beyond any real password, short enough that nobody can make us hash megabytes. */
export const PASSWORD_MAX_CHARS = 1_024;

/** A password refused by the policy; the message says why and is fit to show (it never contains the password). */
export class PasswordPolicyError extends BadInputError {}

/** scrypt cost: N = 2^15, r = 8, p = 1 (about 32 MiB and some 50-100 ms per hash on these machines). */
const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds for parameters read back from a stored hash, so a damaged row cannot make one check take minutes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/** scrypt cost parameters (N a power of two). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Throws PasswordPolicyError unless `plain` is an acceptable password. */
export function checkPasswordPolicy(plain: string): void {
  const length = [...plain].length;
  if (length < PASSWORD_MIN_CHARS) throw new PasswordPolicyError(`password too short: at least ${PASSWORD_MIN_CHARS} characters`);
  if (length > PASSWORD_MAX_CHARS) throw new PasswordPolicyError(`password too long: at most ${PASSWORD_MAX_CHARS} characters`);
}

/**
 * Hashes a password with scrypt and a random salt, as `scrypt$N$r$p$saltB64$hashB64` (self-describing, so the cost
 * can be raised later without breaking stored hashes). Refuses a password outside the policy.
 */
export async function hashPassword(plain: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  checkPasswordPolicy(plain);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Whether `plain` is the password `stored` was made from. A malformed stored hash is never a match. Runs scrypt
 * whatever the length of `plain`, so a refusal takes as long as an acceptance.
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (parsed === null) return false;
  // Too long to be any password we accepted: still spend the time, on a bounded input.
  const candidate = [...plain].length > PASSWORD_MAX_CHARS ? '' : plain;
  const key = await derive(candidate, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(key, parsed.hash) && candidate === plain;
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((v) => (/^[0-9]{1,8}$/.test(v ?? '') ? Number(v) : NaN));
  if (N === undefined || r === undefined || p === undefined) return null;
  // N must be a power of two above 1 (scrypt's own rule).
  if (!(N > 1 && N <= MAX_N && (N & (N - 1)) === 0) || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const hash = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { params: { N, r, p }, salt, hash };
}

function derive(plain: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  // NFC: the same password typed on two keyboards (composed or decomposed accents) is the same password.
  const password = Buffer.from(plain.normalize('NFC'), 'utf8');
  // scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is exactly that for N = 2^15, r = 8, and refuses it.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
