import { createHash } from 'node:crypto';

/**
 * The SHA-256 (lowercase hex) of a secret: what is stored in place of a session secret or an API token. These
 * secrets are 32 random bytes, so a plain fast hash is enough (no salt, no stretching: nothing to guess).
 */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
