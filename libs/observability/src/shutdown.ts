import { componentLogger } from './logging';
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
}

/**
 * On SIGTERM or SIGINT: runs `stop`, flushes telemetry and exits 0; exits 1 when stopping fails
 * or does not finish within the grace period (HERALD_SHUTDOWN_GRACE_MS).
 */
export function exitGracefullyOnSignals(options: GracefulShutdownOptions): void {
  const { graceMs } = options;
  const logger = componentLogger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ code: 'SHUTDOWN_STARTED', signal, graceMs }, `${options.name}: stopping`);
    const deadline = setTimeout(() => {
      logger.error({ code: 'SHUTDOWN_GRACE_EXCEEDED', graceMs }, `${options.name}: not stopped in time`);
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
          logger.error({ code: 'SHUTDOWN_FAILED', err: error }, `${options.name}: stopping failed`);
          process.exit(SHUTDOWN_FAILED_EXIT_CODE);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
