/** Exit statuses: 0 done, 1 refused or failed (printed with its code), 2 bad usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A failure the CLI prints as one line, `CODE: message`, and exits with. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitStatus: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad usage: printed with the command's help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super('CLI_USAGE', message, EXIT_USAGE);
  }
}
