import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** Where a command writes: stdout for results (tables, JSON), stderr for messages. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stdin, for the one command that reads a secret (`leads operators add`). */
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where an interactive prompt is written (stderr, raw: no newline added). */
  prompt: NodeJS.WritableStream;
}

/** What every command receives from the entry point. */
export interface CliContext {
  config: Config;
  logger: Logger;
  io: CliIo;
}
