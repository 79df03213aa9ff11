// Entry point of the `leads` command: the only place it reads the environment or exits.
import { echo, terminalLine } from './echo.js';
import { ConfigError, parseConfig, type Config } from '../config.js';
import { BadInputError, NotFoundError, reasonOf } from '../errors.js';
import { createLogger } from '../log.js';
import { dbCommand } from './dbCommand.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import { extractCommand } from './extractCommand.js';
import { failedCommand } from './failedCommand.js';
import { operatorsCommand } from './operatorsCommand.js';
import type { CliContext } from './io.js';
import { recordingCommand } from './recordingCommand.js';
import { reviewCommand } from './reviewCommand.js';
import { sessionsCommand } from './sessionsCommand.js';
import { spoolCommand } from './spoolCommand.js';
import { succeededCommand } from './succeededCommand.js';
import { USAGE } from './usage.js';

const COMMANDS: Record<string, (ctx: CliContext, args: string[]) => Promise<ExitCode>> = {
  extract: extractCommand,
  failed: failedCommand,
  succeeded: succeededCommand,
  db: dbCommand,
  spool: spoolCommand,
  review: reviewCommand,
  sessions: sessionsCommand,
  recording: recordingCommand,
  operators: operatorsCommand,
};

/** Runs one `leads` invocation and returns its exit code; every error becomes one line on stderr. */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<ExitCode> {
  // stdout carries data (tables, JSON: JSON escapes control characters itself); every stderr line may quote input.
  const io = {
    out: (text: string) => void process.stdout.write(`${text}\n`),
    err: (text: string) => void process.stderr.write(`${terminalLine(text)}\n`),
    input: process.stdin,
    prompt: process.stderr,
  };
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(USAGE);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`leads: unknown command "${echo(name)}" (see leads --help)`);
    return EXIT.USAGE;
  }
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`leads: ${error.message}`);
      return EXIT.USAGE;
    }
    throw error;
  }
  // Logs go to stderr so stdout stays parseable; quiet unless LOG_LEVEL asks for more.
  const logger = createLogger(env['LOG_LEVEL'] ? config.LOG_LEVEL : 'warn', process.stderr);
  try {
    return await command({ config, logger, io }, args);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`leads: ${error.message}`);
      return error.exitCode;
    }
    // The typed errors of the modules the commands call (src/errors.ts), mapped here once.
    if (error instanceof NotFoundError) {
      io.err(`leads: ${error.message}`);
      return EXIT.NOT_FOUND;
    }
    if (error instanceof BadInputError) {
      io.err(`leads: ${error.message}`);
      return EXIT.USAGE;
    }
    if (isParseArgsError(error)) {
      io.err(`leads: ${error.message} (see leads --help)`);
      return EXIT.USAGE;
    }
    io.err(`leads: ${reasonOf(error)}`);
    logger.debug({ err: error }, 'command failed');
    return EXIT.FAILED;
  }
}

function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

const code = await runCli(process.argv.slice(2), process.env);
process.exit(code);
