import { parseArgs } from 'node:util';
import { OperatorAccounts, operatorName } from '../admin/operatorAccounts.js';
import { echo } from './echo.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { readNewPassword } from './readPassword.js';
import { formatDate, formatTable } from './table.js';
import { withRepositories } from './withRepositories.js';

const USAGE = 'usage: leads operators add NAME | password NAME | list [--json] | remove NAME | token NAME [--label TEXT]';

/** `leads operators add|list|remove|token`: the accounts that may sign in to the operations console. */
export async function operatorsCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return await add(ctx, rest);
    case 'password':
      return await changePassword(ctx, rest);
    case 'list':
      return await list(ctx, rest);
    case 'remove':
      return await remove(ctx, rest);
    case 'token':
      return await token(ctx, rest);
    default:
      throw new CliError(USAGE, EXIT.USAGE);
  }
}

/** The one NAME positional of a subcommand. */
function nameArgument(positionals: string[], usage: string): string {
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new CliError(usage, EXIT.USAGE);
  return name;
}

async function add(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  // The name is checked before the password is asked for, and the password before the database is opened.
  const name = operatorName(nameArgument(positionals, 'usage: leads operators add NAME (the password is asked for, or read from stdin)'));
  const password = await readNewPassword(ctx.io.input, ctx.io.prompt);
  const added = await withRepositories(ctx, (repos) => new OperatorAccounts(repos).addOperator(name, password));
  ctx.io.out(`operator ${added.name} added`);
  return EXIT.OK;
}

async function changePassword(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  const name = nameArgument(positionals, 'usage: leads operators password NAME (the new password is asked for, or read from stdin)');
  const fresh = await readNewPassword(ctx.io.input, ctx.io.prompt);
  await withRepositories(ctx, (repos) => new OperatorAccounts(repos).changePassword(name, fresh));
  ctx.io.out(`operator ${echo(name.toLowerCase())}: password changed, signed out everywhere`);
  return EXIT.OK;
}

async function list(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length > 0) throw new CliError('usage: leads operators list [--json]', EXIT.USAGE);
  const operators = await withRepositories(ctx, (repos) => new OperatorAccounts(repos).listOperators());
  if (values.json) ctx.io.out(JSON.stringify(operators, null, 2));
  else if (operators.length === 0) ctx.io.out('no operators (add one with: leads operators add NAME)');
  else ctx.io.out(formatTable(['NAME', 'CREATED'], operators.map((o) => [o.name, formatDate(o.createdAt)])));
  return EXIT.OK;
}

async function remove(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  const name = nameArgument(positionals, 'usage: leads operators remove NAME');
  await withRepositories(ctx, (repos) => new OperatorAccounts(repos).removeOperator(name));
  ctx.io.out(`operator ${echo(name.toLowerCase())} removed, with their sessions and API tokens`);
  return EXIT.OK;
}

async function token(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { label: { type: 'string' } }, allowPositionals: true });
  const name = nameArgument(positionals, 'usage: leads operators token NAME [--label TEXT]');
  const created = await withRepositories(ctx, (repos) => new OperatorAccounts(repos).createApiToken(name, values.label));
  // stdout holds the token alone, for a script to capture; the warning goes to stderr.
  ctx.io.out(created);
  ctx.io.err('This token is shown once: store it now (it is kept only as a hash). Use it as "Authorization: Bearer TOKEN".');
  return EXIT.OK;
}
