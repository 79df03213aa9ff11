import { z } from 'zod';
import { LEAD_FIELDS, type LeadField } from '../leads/lead.js';
import type { ConversationQueries, HourlyOutcomes } from '../db/conversationQueries.js';
import { CallQualitySchema, type CallQuality } from '../db/entities/sessionState.js';
import { SETTLED_PHASES } from './callList.js';
import { blankAsAbsent, parseInput } from './parseInput.js';
import { waitStats, type WaitStats } from './waitStats.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const QUALITY_DEFAULT_WINDOW_MS = 7 * DAY_MS;
/** The longest window one report covers: its hourly series stays a chart (744 points), not a dump. */
export const QUALITY_MAX_WINDOW_MS = 31 * DAY_MS;

/** The report's window as the HTTP layer receives it (query-string strings, coerced). Default: the 7 days up to now. */
export const QualityWindowSchema = z.object({
  from: z.preprocess(blankAsAbsent, z.coerce.date().optional()),
  to: z.preprocess(blankAsAbsent, z.coerce.date().optional()),
});
export type QualityWindowInput = z.input<typeof QualityWindowSchema>;

/** Calls whose lead ended each way (live calls are counted in `calls` only). */
export interface OutcomeCounts {
  succeeded: number;
  failed: number;
  review: number;
  pending: number;
  lost: number;
}

/** One hour or one day (UTC) of voice calls, by when they started. */
export interface VolumeBucket {
  at: string;
  calls: number;
  outcomes: OutcomeCounts;
}

export interface QualityReport {
  from: string;
  to: string;
  perHour: VolumeBucket[];
  perDay: VolumeBucket[];
  /** Over the calls' stored quality records: every response wait and barge-in clear, one greeting per call, ... */
  waits: Record<'greetingMs' | 'responseMs' | 'bargeInMs' | 'goodbyeMs' | 'leadDeliveryMs', WaitStats>;
  /** Per field, the calls where it needed more than one attempt, most first; `share` of the calls with a record. */
  retriedFields: Array<{ field: LeadField; calls: number; share: number }>;
  /** Calls with a quality record in the window (the denominator of `share`). */
  callsWithQuality: number;
  /** Leads decided in the window (both channels) and those that went to review; `rate` null with no leads. */
  reviewRate: { leads: number; inReview: number; open: number; rate: number | null };
}

const emptyOutcomes = (): OutcomeCounts => ({ succeeded: 0, failed: 0, review: 0, pending: 0, lost: 0 });

/** Every bucket of `sizeMs` (UTC-aligned) that [from, to) touches, in order, with the counts that fall in each. */
function buckets(hourly: readonly HourlyOutcomes[], window: { from: Date; to: Date }, sizeMs: number): VolumeBucket[] {
  const start = Math.floor(window.from.getTime() / sizeMs) * sizeMs;
  const out: VolumeBucket[] = [];
  for (let at = start; at < window.to.getTime(); at += sizeMs) out.push({ at: new Date(at).toISOString(), calls: 0, outcomes: emptyOutcomes() });
  for (const row of hourly) {
    const bucket = out[Math.floor((row.hour.getTime() - start) / sizeMs)];
    if (bucket === undefined) continue;
    bucket.calls += row.calls;
    if (row.outcome !== null && row.outcome !== 'live') bucket.outcomes[row.outcome] += row.calls;
  }
  return out;
}

function waitsOf(records: readonly CallQuality[]): QualityReport['waits'] {
  const single = (pick: (w: CallQuality['waits']) => number | null): number[] =>
    records.flatMap((q) => {
      const value = pick(q.waits);
      return value === null ? [] : [value];
    });
  return {
    greetingMs: waitStats(single((w) => w.greetingMs)),
    responseMs: waitStats(records.flatMap((q) => q.waits.responseMs)),
    bargeInMs: waitStats(records.flatMap((q) => q.waits.bargeInMs)),
    goodbyeMs: waitStats(single((w) => w.goodbyeMs)),
    leadDeliveryMs: waitStats(single((w) => w.leadDeliveryMs)),
  };
}

function retriedFieldsOf(records: readonly CallQuality[]): QualityReport['retriedFields'] {
  return LEAD_FIELDS.map((field) => {
    const calls = records.filter((q) => (q.fields[field]?.attempts ?? 0) > 1).length;
    return { field, calls, share: records.length === 0 ? 0 : calls / records.length };
  }).sort((a, b) => b.calls - a.calls);
}

/**
 * The quality page: voice calls and their outcomes per hour and per day (UTC), the waits' percentiles and the
 * fields most often asked twice from the calls' stored quality records, and the review rate of the leads decided in
 * the window. `window` as the HTTP layer parses it (QualityWindowSchema); `now` ends the default window.
 * Throws BadInputError for a window that does not parse, ends before it starts, or spans over 31 days.
 */
export async function qualityReport(queries: ConversationQueries, window: QualityWindowInput & { now?: Date } = {}): Promise<QualityReport> {
  const parsed = parseInput(QualityWindowSchema, { from: window.from, to: window.to });
  const to = parsed.to ?? window.now ?? new Date();
  const from = parsed.from ?? new Date(to.getTime() - QUALITY_DEFAULT_WINDOW_MS);
  parseInput(
    z.number().positive('from must be before to').max(QUALITY_MAX_WINDOW_MS, 'the window spans at most 31 days'),
    to.getTime() - from.getTime(),
  );
  const span = { from, to };
  const [hourly, stored, reviews] = await Promise.all([
    queries.hourlyOutcomes(span, SETTLED_PHASES),
    queries.qualityRecords(span),
    queries.reviewCounts(span),
  ]);
  // A record that does not parse (an older shape, a damaged row) is left out rather than failing the page.
  const records = stored.flatMap(({ quality }) => {
    const parsedQuality = CallQualitySchema.safeParse(quality);
    return parsedQuality.success ? [parsedQuality.data] : [];
  });
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    perHour: buckets(hourly, span, HOUR_MS),
    perDay: buckets(hourly, span, DAY_MS),
    waits: waitsOf(records),
    retriedFields: retriedFieldsOf(records),
    callsWithQuality: records.length,
    reviewRate: { ...reviews, rate: reviews.leads === 0 ? null : reviews.inReview / reviews.leads },
  };
}
