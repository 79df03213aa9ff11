import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** Where a command writes: stdout for results (tables, JSON), stderr for messages. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** What every command receives from the entry point. */
export interface CliContext {
  config: Config;
  logger: Logger;
  io: CliIo;
}
