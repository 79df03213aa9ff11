import { parseArgs } from 'node:util';
import { LeadSpool, type SpoolEntry } from '../outbox/leadSpool.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { formatTable } from './table.js';

const USAGE = 'usage: leads spool list [--json] | retry ID | retry --all';

/**
 * `leads spool list|retry`: the local spool under DATA_DIR (leads kept while the database could not take them) and
 * its dead letters (records the database refused SPOOL_MAX_TRIES times). Reads files only, never the database: a
 * retry asks the server to queue the dead letter again, which its next upkeep does.
 */
export async function spoolCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  const spool = new LeadSpool(ctx.config.DATA_DIR, ctx.logger);
  switch (sub) {
    case 'list':
      return list(ctx, spool, rest);
    case 'retry':
      return retry(ctx, spool, rest);
    default:
      throw new CliError(USAGE, EXIT.USAGE);
  }
}

async function list(ctx: CliContext, spool: LeadSpool, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length > 0) throw new CliError('usage: leads spool list [--json]', EXIT.USAGE);
  const entries = await spool.list();
  if (values.json) ctx.io.out(JSON.stringify(entries, null, 2));
  else if (entries.length === 0) ctx.io.out('the spool is empty');
  else ctx.io.out(formatTable(['ID', 'SPOOLED', 'CHANNEL', 'STATE', 'TRIES', 'EXTERNAL ID', 'LAST ERROR'], entries.map(row)));
  return EXIT.OK;
}

function row(entry: SpoolEntry): string[] {
  return [entry.id, entry.spooledAt, entry.channel, entry.state, String(entry.tries), entry.externalId, entry.lastError ?? '-'];
}

async function retry(ctx: CliContext, spool: LeadSpool, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { all: { type: 'boolean', default: false } }, allowPositionals: true });
  const [id, ...extra] = positionals;
  if (extra.length > 0 || (id === undefined) === !values.all) throw new CliError('usage: leads spool retry ID | leads spool retry --all', EXIT.USAGE);
  const dead = (await spool.list()).filter((e) => e.state !== 'queued');
  const ids = id === undefined ? dead.map((e) => e.id) : [id];
  if (ids.length === 0) {
    ctx.io.out('no dead letters');
    return EXIT.OK;
  }
  for (const leadId of ids) {
    if (!(await spool.requestRequeue(leadId))) throw new CliError(`no dead letter with id ${leadId} in the spool`, EXIT.NOT_FOUND);
    ctx.io.out(`${leadId}  re-queued (the server replays it at its next upkeep)`);
  }
  return EXIT.OK;
}
