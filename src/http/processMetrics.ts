import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * Process, heap, GC and event-loop-lag metrics (prom-client's defaults, unprefixed as dashboards expect them).
 * One registry per process, shared by every app in it: they measure the process, not an app, and
 * collectDefaultMetrics starts observers it never stops, so once is the right number of times.
 */
export function processRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
