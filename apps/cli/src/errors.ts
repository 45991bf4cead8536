/**
 * Failure kinds of the CLI and the exit codes they map to. `main.ts` is the only place that turns
 * an error into an exit code, so every command simply throws.
 *
 * Exit codes (stable, scripts may rely on them):
 *   0  success
 *   1  the command ran but failed: the server answered with an error, the server could not be
 *      reached, a `doctor` check failed, a wait timed out
 *   2  usage error: unknown command or option, missing or malformed argument (nothing was sent)
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure whose message is complete and meant for the user as is (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** Bad command line. `usage` (the relevant help text) is printed after the message. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message, EXIT_USAGE);
  }
}
