/** How long a database reading for `/metrics` is reused: a scrape storm costs one query per reading per TTL. */
export const SCRAPE_READING_TTL_MS = 5_000;
/** A reading slower than this gives NaN: a scrape must not hang on a slow database. */
export const SCRAPE_READING_TIMEOUT_MS = 1_000;

export interface CachedReadingOptions {
  ttlMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Wraps an expensive reading (a SQL count) for scrape time: concurrent scrapes share one query, the value is
 * reused for `ttlMs`, and a failed or slow reading is NaN (cached too, so a database that is down is not asked on
 * every scrape).
 */
export function cachedReading(read: () => Promise<number>, options: CachedReadingOptions = {}): () => Promise<number> {
  const ttlMs = options.ttlMs ?? SCRAPE_READING_TTL_MS;
  const timeoutMs = options.timeoutMs ?? SCRAPE_READING_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  let last: { at: number; value: Promise<number> } | undefined;
  return () => {
    if (last !== undefined && now() - last.at < ttlMs) return last.value;
    last = { at: now(), value: withTimeout(read, timeoutMs) };
    return last.value;
  };
}

async function withTimeout(read: () => Promise<number>, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(Number.NaN), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([read().catch(() => Number.NaN), late]);
  } finally {
    clearTimeout(timer);
  }
}
