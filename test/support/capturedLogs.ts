import { createLogger, type Logger } from '../../src/log.js';

/** A logger whose JSON lines a test can read (pino to a string sink; nothing reaches the console). */
export function capturedLogs(level = 'warn'): { logger: Logger; entries(): Array<Record<string, unknown>>; text(): string } {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
  return {
    logger,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}
