import {
  context,
  diag,
  DiagLogLevel,
  isSpanContextValid,
  trace,
  type DiagLogFunction,
  type DiagLogger,
} from '@opentelemetry/api';
import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { logLevelOf, readTelemetrySettings } from '#herald/config';
import { serviceNameOf } from './telemetry';

/**
 * The one log pipeline of a Herald process (docs/observability.md, Logs): every line is one JSON
 * object from this pino logger, Nest's lines (nestLogger) and kafkajs' included, with the level
 * as its name, `trace_id` / `span_id` when written inside a span and the stable code in `code`.
 * Pretty text only when stdout is a terminal (and the dev dependency pino-pretty is installed).
 */

/** The fields of a line that carry the active span (none outside a span). */
interface TraceFields {
  trace_id?: string;
  span_id?: string;
}

/**
 * Called by pino only when a line is written (never for a level that is off). pino merges the
 * line's own fields into the returned object, so it is a new one each time.
 */
export function traceFieldsOfActiveSpan(): TraceFields {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext !== undefined && isSpanContextValid(spanContext)
    ? { trace_id: spanContext.traceId, span_id: spanContext.spanId }
    : {};
}

/**
 * pino's options for a process writing to `stdout` (a terminal gets pretty text). libs/config
 * reads HERALD_LOG_LEVEL and the service name from `env` (the process' own when undefined).
 */
export function heraldLoggerOptions(
  env?: NodeJS.ProcessEnv,
  stdoutIsTerminal: boolean = process.stdout.isTTY === true,
): LoggerOptions {
  const options: LoggerOptions = {
    level: logLevelOf(env),
    // The service name the telemetry uses (OTEL_SERVICE_NAME first), so logs and traces match.
    base: {
      service: serviceNameOf(process.argv[1], readTelemetrySettings(env)),
      pid: process.pid,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFieldsOfActiveSpan,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (stdoutIsTerminal && prettyPrinterInstalled()) {
    // pino-pretty reads pino's numeric levels: no level formatter for it.
    return { ...options, formatters: {}, transport: { target: 'pino-pretty' } };
  }
  return options;
}

let root: Logger | undefined;

/** The process' root logger, made on first use (HERALD_LOG_LEVEL, read leniently: logLevelOf). */
export function heraldLogger(): Logger {
  root ??= pino(heraldLoggerOptions());
  return root;
}

/**
 * Makes the root logger write its JSON lines to `destination` from now on (tests read them there);
 * loggers taken before keep theirs. Returns the way back to the previous root.
 */
export function logTo(destination: DestinationStream): () => void {
  const previous = root;
  root = pino(heraldLoggerOptions(undefined, false), destination);
  return () => {
    root = previous;
  };
}

/** A logger for one part of a process: its lines carry `component`. */
export function componentLogger(component: string): Logger {
  return heraldLogger().child({ component });
}

/** A line with its stable code as a field, and the error (if any) as pino's `err` (type, message, stack). */
export interface CodedLogFields {
  code: string;
  err?: unknown;
  [field: string]: unknown;
}

/**
 * Nest's LoggerService on the root logger (nestjs-pino): `context` becomes a field, `log` is
 * `info`, `verbose` is `trace`. Installed with Logger.overrideLogger before Nest logs anything.
 */
export function nestLogger(): LoggerService {
  const pinoLogger = new PinoLogger({ pinoHttp: { logger: heraldLogger(), autoLogging: false } });
  return new NestPinoLogger(pinoLogger, {});
}

/**
 * Node's process warnings (e.g. kafkajs 2.2.4's negative timer on Node 24, kafkajs#1751) as JSON
 * lines with code NODE_WARNING instead of Node's own text on stderr: its printer is an ordinary
 * 'warning' listener, replaced here.
 */
export function logProcessWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    componentLogger('Node').warn({ code: 'NODE_WARNING', err: warning }, warning.message),
  );
}

/**
 * The OpenTelemetry SDK's own diagnostics (startNodeSdk installs a console logger) as JSON lines
 * with code OTEL_DIAG, at `level`: OTEL_LOG_LEVEL (NONE, ERROR, WARN, INFO, DEBUG, VERBOSE, ALL;
 * default INFO), read by libs/config (TelemetrySettings.diagnosticsLevel).
 */
export function logOpenTelemetryDiagnostics(level: string): void {
  const logger = componentLogger('OpenTelemetry');
  const to =
    (write: 'error' | 'warn' | 'info' | 'debug' | 'trace'): DiagLogFunction =>
    (message, ...args) =>
      logger[write]({ code: 'OTEL_DIAG', ...(args.length > 0 ? { args } : {}) }, message);
  const diagnostics: DiagLogger = {
    error: to('error'),
    warn: to('warn'),
    info: to('info'),
    debug: to('debug'),
    verbose: to('trace'),
  };
  diag.setLogger(diagnostics, {
    logLevel: DiagLogLevel[level as keyof typeof DiagLogLevel] ?? DiagLogLevel.INFO,
    suppressOverrideMessage: true,
  });
}

function prettyPrinterInstalled(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    // A production image has no dev dependencies: JSON on a terminal too.
    return false;
  }
}
