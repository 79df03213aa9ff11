/** How a set of waits is summed up on the console: how many, and three percentiles (ms); null when there are none. */
export interface WaitStats {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/**
 * The `p`th percentile (0 < p <= 100) of `values` by the nearest-rank method: the smallest value with at least p% of
 * the values at or below it, so the answer is always a wait that was measured. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] ?? null;
}

/** The count and the 50th, 90th and 99th percentiles of `values` (non-finite values ignored). */
export function waitStats(values: readonly number[]): WaitStats {
  const finite = values.filter(Number.isFinite);
  return { count: finite.length, p50: percentile(finite, 50), p90: percentile(finite, 90), p99: percentile(finite, 99) };
}
