import { parseArgs } from 'node:util';
import { createNpaClient, npaOptionsFrom } from '../npa/npaClient.js';
import { retryAllFailedLeads, retryFailedLead, type RetryOutcome } from '../outbox/retryFailedLeads.js';
import { leadProblems } from '../leads/problems.js';
import type { FailedLeadRecord } from '../db/failedLeadRepository.js';
import { isUuid } from '../db/isUuid.js';
import { createLeadOutbox } from '../outbox/leadOutbox.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { formatDate, formatTable } from './table.js';
import { echo, terminalLine } from './echo.js';
import { withRepositories } from './withRepositories.js';
import { recordingLink } from '../db/recordingRepository.js';
import { describeRecordings } from './recordingLinks.js';
import { describeProvenance } from './provenance.js';
import { provenanceOf } from '../outbox/provenance.js';
import { resolveFailedLead } from '../outbox/resolveFailedLead.js';
import { cliActor } from './cliActor.js';

/** `leads failed list|show|retry|resolve`. */
export async function failedCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      return list(ctx, rest);
    case 'show':
      return show(ctx, rest);
    case 'retry':
      return retry(ctx, rest);
    case 'resolve':
      return resolve(ctx, rest);
    default:
      throw new CliError(
        'usage: leads failed list [--json] [--all] | show ID [--json] | retry ID|--all [--force] [--json] | resolve ID --note TEXT [--by NAME]',
        EXIT.USAGE,
      );
  }
}

async function list(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new CliError('usage: leads failed list [--json] [--all]', EXIT.USAGE);
  const rows = await withRepositories(ctx, (repos) => repos.failed.list({ includeResolved: values.all }));
  if (values.json) {
    ctx.io.out(JSON.stringify(rows, null, 2));
  } else if (rows.length === 0) {
    ctx.io.out(values.all ? 'no failed leads' : 'no unresolved failed leads');
  } else {
    const headers = ['ID', 'CREATED', 'CHANNEL', 'ATTEMPTS', 'LAST ATTEMPT', ...(values.all ? ['RESOLVED'] : []), 'ERROR'];
    const cells = rows.map((r) => [
      r.id,
      formatDate(r.createdAt),
      r.channel,
      String(r.attempts),
      formatDate(r.lastAttemptAt),
      ...(values.all ? [formatDate(r.resolvedAt)] : []),
      r.errorMessage,
    ]);
    ctx.io.out(formatTable(headers, cells));
  }
  return EXIT.OK;
}

async function show(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new CliError('usage: leads failed show ID [--json]', EXIT.USAGE);
  // A malformed id cannot exist: answer without opening the database.
  const found = isUuid(id)
    ? await withRepositories(ctx, async (repos) => {
        const failed = await repos.failed.get(id);
        if (failed === null) return null;
        const recordings = failed.sessionId === null ? [] : ((await repos.recordings.forSessions([failed.sessionId])).get(failed.sessionId) ?? []);
        return { row: failed, decision: provenanceOf((await repos.decisions.get(id)) ?? undefined), recordings: recordings.map(recordingLink) };
      })
    : null;
  if (!found) throw new CliError(`no failed lead with id ${echo(id)}`, EXIT.NOT_FOUND);
  const { row, decision, recordings } = found;
  ctx.io.out(
    values.json
      ? JSON.stringify({ ...row, decision, recordings }, null, 2)
      : `${describe(row)}\nrecordings  ${describeRecordings(recordings)}\n${describeProvenance(decision)}`,
  );
  return EXIT.OK;
}

function describe(row: FailedLeadRecord): string {
  const pairs: [string, string][] = [
    ['id', row.id],
    ['channel', row.channel],
    ['session', row.sessionId ?? '-'],
    ['created', formatDate(row.createdAt)],
    ['attempts', String(row.attempts)],
    ['last attempt', formatDate(row.lastAttemptAt)],
    ['resolved', formatDate(row.resolvedAt)],
    ...(row.resolvedBy === null ? [] : [['resolved by', row.resolvedBy] as [string, string]]),
    ...(row.resolutionNote === null ? [] : [['note', terminalLine(row.resolutionNote)] as [string, string]]),
    ['error', row.errorMessage],
    ...row.retries.map((r, i): [string, string] => [`retry ${i + 1}`, `${r.at}  ${r.reason} (${r.attempts} NPA attempts)`]),
    ['problems', leadProblems(row.leadData) ?? '-'],
    ...Object.entries(row.leadData).map(([k, v]): [string, string] => [k, v === null ? '-' : String(v)]),
  ];
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

async function retry(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      all: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      by: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [id, ...extra] = positionals;
  if (extra.length > 0 || (id === undefined) === !values.all) {
    throw new CliError('usage: leads failed retry ID [--force] [--json] [--by NAME] | leads failed retry --all [--force] [--json] [--by NAME]', EXIT.USAGE);
  }
  // A malformed id cannot exist: answer without the database, and without repeating all of it.
  if (id !== undefined && !isUuid(id)) {
    const missing: RetryOutcome = { id: echo(id), outcome: 'not-found', reason: 'no failed lead with this id' };
    if (values.json) {
      ctx.io.out(JSON.stringify([missing], null, 2));
      return EXIT.NOT_FOUND;
    }
    throw new CliError(`no failed lead with id ${echo(id)}`, EXIT.NOT_FOUND);
  }
  const npa = createNpaClient(npaOptionsFrom(ctx.config, ctx.logger));
  const outcomes = await withRepositories(ctx, async (repos) => {
    // The same outbox the server builds (attempt budget, backoff, lease), so the two never disagree on a claim.
    const deps = { repos, outbox: createLeadOutbox(ctx.config, { repos, npa, logger: ctx.logger }), logger: ctx.logger };
    const options = { force: values.force, by: cliActor(values.by) };
    return id === undefined ? retryAllFailedLeads(deps, options) : [await retryFailedLead(deps, id, options)];
  });

  if (values.json) ctx.io.out(JSON.stringify(outcomes, null, 2));
  else if (outcomes.length === 0) ctx.io.out('no unresolved failed leads');
  else for (const o of outcomes) ctx.io.out(line(o, values.all));

  if (id !== undefined) {
    const only = outcomes[0];
    if (only?.outcome === 'not-found') {
      if (values.json) return EXIT.NOT_FOUND;
      throw new CliError(`no failed lead with id ${echo(id)}`, EXIT.NOT_FOUND);
    }
    return only?.outcome === 'succeeded' || only?.outcome === 'already-resolved' ? EXIT.OK : EXIT.FAILED;
  }
  // --all: incomplete leads are skipped (they need --force or a fix), only submission failures fail the run.
  return outcomes.some((o) => o.outcome === 'failed') ? EXIT.FAILED : EXIT.OK;
}

async function resolve(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const usage = 'usage: leads failed resolve ID --note TEXT [--by NAME]';
  const { values, positionals } = parseArgs({ args, options: { note: { type: 'string' }, by: { type: 'string' } }, allowPositionals: true });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0 || values.note === undefined) throw new CliError(usage, EXIT.USAGE);
  // A malformed id cannot exist: answer without opening the database.
  if (!isUuid(id)) throw new CliError(`no failed lead with id ${echo(id)}`, EXIT.NOT_FOUND);
  const note = values.note;
  const by = cliActor(values.by);
  await withRepositories(ctx, (repos) => resolveFailedLead({ repos, logger: ctx.logger }, id, note, by));
  ctx.io.out(`${id}  resolved`);
  return EXIT.OK;
}

function line(o: RetryOutcome, all: boolean): string {
  const label = o.outcome === 'refused' && all ? 'skipped' : o.outcome;
  const id = echo(o.id);
  return o.reason ? `${id}  ${label}: ${terminalLine(o.reason)}` : `${id}  ${label}`;
}
