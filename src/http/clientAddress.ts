/**
 * The client's address for per-address limits: the TCP peer, or behind `trustedHops` reverse proxies the entry of
 * `X-Forwarded-For` the nearest trusted proxy added (entries further left are the client's own claims and are not
 * believed). With fewer entries than trusted hops, the leftmost one.
 */
export function clientAddress(peer: string, forwardedFor: string, trustedHops: number): string {
  if (trustedHops <= 0 || forwardedFor.trim() === '') return peer;
  const entries = forwardedFor
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return peer;
  return entries[Math.max(0, entries.length - trustedHops)] ?? peer;
}
