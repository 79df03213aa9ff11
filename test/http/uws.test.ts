import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseTransport, TransportUnavailableError } from '../../src/http/uws.js';

/** Whether this Node has a native uWS binary in the package (Node 20 here: ABI 115; Node 22 and 24: none). */
const nativeBinaryExists = existsSync(
  join(dirname(createRequire(import.meta.url).resolve('uWebSockets.js/package.json')), 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`),
);

describe('chooseTransport (PSB_TRANSPORT)', () => {
  it('runs native uWS where its binary loads, the node transport elsewhere, and says why', () => {
    const chosen = chooseTransport(undefined);
    expect(chosen.kind).toBe(nativeBinaryExists ? 'uws-native' : 'node-http');
    expect(chosen.reason).toMatch(nativeBinaryExists ? /^native binary loaded$/ : /^no native uWebSockets\.js for Node v\d+/);
    expect(chooseTransport('').kind).toBe(chosen.kind);
  });

  it('takes node on any Node, and uws only where the binary loads (a clear error otherwise, never the shim)', () => {
    expect(chooseTransport('node')).toMatchObject({ kind: 'node-http', reason: 'PSB_TRANSPORT=node' });
    if (nativeBinaryExists) expect(chooseTransport('uws')).toMatchObject({ kind: 'uws-native', reason: 'PSB_TRANSPORT=uws' });
    else expect(() => chooseTransport('uws')).toThrow(/^PSB_TRANSPORT=uws but no native uWebSockets\.js for Node v\d+/);
  });

  it('refuses anything else', () => {
    expect(() => chooseTransport('uWS')).toThrow(TransportUnavailableError);
    expect(() => chooseTransport('shim')).toThrow('PSB_TRANSPORT must be uws or node, not "shim"');
  });
});
