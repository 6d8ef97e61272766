import { shutdownTelemetry } from './telemetry';

/** Exit code when the grace period ran out or stopping failed. */
const SHUTDOWN_FAILED_EXIT_CODE = 1;

export interface GracefulShutdownOptions {
  /** For the log lines: `herald-auth`. */
  name: string;
  /** Stops the app in order (stop intake, finish live work, flush the bus, close the database). */
  stop: () => Promise<void>;
  /** HERALD_SHUTDOWN_GRACE_MS (libs/config `shutdownGraceMs`). */
  graceMs: number;
  log?: (message: string) => void;
}

/**
 * On SIGTERM or SIGINT: runs `stop`, flushes telemetry and exits 0; exits 1 when stopping fails
 * or does not finish within the grace period (HERALD_SHUTDOWN_GRACE_MS).
 */
export function exitGracefullyOnSignals(options: GracefulShutdownOptions): void {
  const { graceMs } = options;
  const log = options.log ?? ((message: string) => console.error(message));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`${options.name}: ${signal}, stopping within ${graceMs} ms`);
    const deadline = setTimeout(() => {
      log(`${options.name}: SHUTDOWN_GRACE_EXCEEDED after ${graceMs} ms`);
      process.exit(SHUTDOWN_FAILED_EXIT_CODE);
    }, graceMs);
    options
      .stop()
      .then(() => shutdownTelemetry())
      .then(
        () => {
          clearTimeout(deadline);
          process.exit(0);
        },
        (error: unknown) => {
          log(
            `${options.name}: SHUTDOWN_FAILED ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          process.exit(SHUTDOWN_FAILED_EXIT_CODE);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
