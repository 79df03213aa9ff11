/** What the `leads` command's exit status means; scripts may rely on these. */
export const EXIT = {
  OK: 0,
  /** The operation ran and failed (a retry NPA refused, an extraction error, a database error). */
  FAILED: 1,
  /** Bad usage, bad input (missing file, bad JSON, bad date) or bad configuration. */
  USAGE: 2,
  /** The id asked for does not exist. */
  NOT_FOUND: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and this exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
