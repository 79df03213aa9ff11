import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/http/clientAddress.js';

describe('clientAddress', () => {
  it('is the TCP peer when no proxy is trusted, whatever the client claims', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', 0)).toBe('203.0.113.7');
  });

  it('behind one trusted proxy: the entry that proxy added (the last), not what the client put before it', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', 1)).toBe('198.51.100.1');
    // A client forging the header gets its forgery ignored: the proxy appended the real address.
    expect(clientAddress('10.0.0.2', '1.2.3.4, 198.51.100.1', 1)).toBe('198.51.100.1');
  });

  it('behind two: the entry the outer proxy added; with fewer entries, the leftmost; none, the peer', () => {
    expect(clientAddress('10.0.0.2', '1.2.3.4, 198.51.100.1, 10.0.0.9', 2)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '198.51.100.1', 2)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '', 2)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', ' , ', 1)).toBe('10.0.0.2');
  });
});
