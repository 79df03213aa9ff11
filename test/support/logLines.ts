import { createLogger, type Logger } from '../../src/log.js';

/** One pino line as written (JSON), with the fields tests look at. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A real pino logger (redaction included) whose lines are kept in memory instead of written anywhere. */
export function capturingLogger(level = 'warn'): { logger: Logger; lines: LogLine[]; raw: string[] } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const destination = {
    write: (line: string) => {
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  } as unknown as NodeJS.WritableStream;
  return { logger: createLogger(level, destination), lines, raw };
}
