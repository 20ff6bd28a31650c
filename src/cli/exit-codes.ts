// The CLI's exit codes (documented in docs/cli.md: scripts rely on them) and the errors that
// carry one: a command throws CliError (or a subclass) and the runner prints its message as one
// line and exits with its code.

/** What `sluice` exits with. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The command failed (Redis refused it, a job is active, doctor found an error, ...). */
  error: 1,
  /** Wrong command line: unknown command or option, missing or bad argument, `--yes` needed. */
  usage: 2,
  /** The queue, group or job named does not exist. */
  notFound: 3,
  /** Redis cannot be reached. */
  unavailable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A wrong command line (exit 2); `command` names the command whose usage line is printed with it. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** A queue, group or job that does not exist (exit 3). */
export class NotFoundError extends CliError {
  constructor(message: string) {
    super(message, EXIT.notFound);
    this.name = 'NotFoundError';
  }
}

/** Redis cannot be reached (exit 4). */
export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message, EXIT.unavailable);
    this.name = 'UnreachableError';
  }
}
