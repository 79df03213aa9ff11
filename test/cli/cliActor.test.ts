import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/cli/cliActor.js';

describe('cliActor', () => {
  it('is --by when given, else the OS user', () => {
    expect(cliActor('  alice ')).toBe('alice');
    expect(cliActor(undefined)).toBe(userInfo().username);
    expect(cliActor('   ')).toBe(userInfo().username);
  });
});
