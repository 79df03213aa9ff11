import { parseArgs } from 'node:util';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { formatDate, formatTable } from './table.js';
import { echo } from './echo.js';
import { withRepositories } from './withRepositories.js';
import { recordingLink } from '../db/recordingRepository.js';
import { provenanceOf } from '../outbox/provenance.js';

/** `leads succeeded list [--json] [--since DATE]`. */
export async function succeededCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw new CliError('usage: leads succeeded list [--json] [--since DATE]', EXIT.USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { json: { type: 'boolean', default: false }, since: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new CliError('usage: leads succeeded list [--json] [--since DATE]', EXIT.USAGE);
  const since = values.since === undefined ? undefined : parseDate(values.since);
  const { rows, decisions, recordings } = await withRepositories(ctx, async (repos) => {
    const found = await repos.succeeded.list(since ? { since } : {});
    const recordings = await repos.recordings.forSessions(found.flatMap((r) => (r.sessionId === null ? [] : [r.sessionId])));
    return { rows: found, decisions: await repos.decisions.forLeads(found.map((r) => r.id)), recordings };
  });
  if (values.json) {
    // Each lead with how its fields were decided (null: decided before decisions were kept).
    // ... and the recordings of its call (empty when it was not recorded).
    const recordingsOf = (r: (typeof rows)[number]) => (r.sessionId === null ? [] : (recordings.get(r.sessionId) ?? []).map(recordingLink));
    ctx.io.out(JSON.stringify(rows.map((r) => ({ ...r, decision: provenanceOf(decisions.get(r.id)), recordings: recordingsOf(r) })), null, 2));
  } else if (rows.length === 0) {
    ctx.io.out('no succeeded leads');
  } else {
    const cells = rows.map((r) => [
      r.id,
      formatDate(r.createdAt),
      r.channel,
      [r.leadData.vehicle_year, r.leadData.vehicle_make, r.leadData.vehicle_model].filter((v) => v !== null).join(' '),
      typeof r.npaResponse['id'] === 'string' ? r.npaResponse['id'] : '-',
    ]);
    ctx.io.out(formatTable(['ID', 'CREATED', 'CHANNEL', 'VEHICLE', 'NPA ID'], cells));
  }
  return EXIT.OK;
}

/** `YYYY-MM-DD` (UTC midnight) or a full ISO 8601 timestamp; anything else is a usage error. */
export function parseDate(text: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  // Date() rolls 2025-02-30 over to March 2: insist the calendar date reads back unchanged.
  const calendarOk = !Number.isNaN(date.getTime()) && (text.length > 10 || date.toISOString().slice(0, 10) === text);
  if (!iso.test(text) || !calendarOk) {
    throw new CliError(`--since: not a date: ${echo(text)} (use YYYY-MM-DD or an ISO 8601 timestamp)`, EXIT.USAGE);
  }
  return date;
}
