import { shutdownTelemetry } from './telemetry';

/** Kubernetes' default terminationGracePeriodSeconds is 30 s: finish a little before the SIGKILL. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;
export const SHUTDOWN_GRACE_VARIABLE = 'HERALD_SHUTDOWN_GRACE_MS';

/** Exit code when the grace period ran out or stopping failed. */
const SHUTDOWN_FAILED_EXIT_CODE = 1;

export class ShutdownConfigError extends Error {
  readonly code = 'SHUTDOWN_GRACE_INVALID';
}

/** HERALD_SHUTDOWN_GRACE_MS, a positive integer (default 25 s). */
export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SHUTDOWN_GRACE_VARIABLE]?.trim();
  if (raw === undefined || raw === '') {
    return DEFAULT_SHUTDOWN_GRACE_MS;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ShutdownConfigError(`${SHUTDOWN_GRACE_VARIABLE} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export interface GracefulShutdownOptions {
  /** For the log lines: `herald-auth`. */
  name: string;
  /** Stops the app in order (stop intake, finish live work, flush the bus, close the database). */
  stop: () => Promise<void>;
  graceMs?: number;
  log?: (message: string) => void;
}

/**
 * On SIGTERM or SIGINT: runs `stop`, flushes telemetry and exits 0; exits 1 when stopping fails
 * or does not finish within the grace period (HERALD_SHUTDOWN_GRACE_MS).
 */
export function exitGracefullyOnSignals(options: GracefulShutdownOptions): void {
  const graceMs = options.graceMs ?? shutdownGraceMs();
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
