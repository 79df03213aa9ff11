import { timingSafeEqual } from 'node:crypto';
import { secretDigest } from './secretDigest.js';

/**
 * Whether a presented secret (a CSRF token from a form or header) is the expected one, in time that does not depend
 * on where they differ: both are hashed first, so the lengths match and nothing about the expected one leaks.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(secretDigest(presented), 'hex'), Buffer.from(secretDigest(expected), 'hex'));
}
