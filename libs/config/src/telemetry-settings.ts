/**
 * What a process' telemetry reads from the standard OTEL_* variables and Herald's own, read
 * leniently: telemetry starts on the first line of main.ts, before the settings are validated, and
 * a bad value must not keep a process from starting (the OpenTelemetry specification ignores a value
 * it cannot parse, and so does this). The SDK's exporters still read their own OTEL_* variables
 * (endpoints, headers, batch sizes); these are the ones Herald decides on.
 */
export interface TelemetrySettings {
  /** OTEL_SERVICE_NAME, else HERALD_SERVICE_NAME; undefined: named after the app (serviceNameOf). */
  serviceName: string | undefined;
  /** OTEL_SDK_DISABLED=true: no SDK, no spans, no OTLP; the Prometheus scrape stays. */
  sdkDisabled: boolean;
  /** An OTLP endpoint is set for traces and OTEL_TRACES_EXPORTER does not say `none`. */
  exportsTraces: boolean;
  /** OTLP metric export, when an endpoint is set for metrics and OTEL_METRICS_EXPORTER does not say `none`. */
  metricExport: MetricExportSettings | undefined;
  /** OTEL_LOG_LEVEL: the SDK's own diagnostics (NONE, ERROR, WARN, INFO, DEBUG, VERBOSE, ALL). */
  diagnosticsLevel: string;
}

export interface MetricExportSettings {
  /** OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL; protobuf unless http/json. */
  json: boolean;
  exportIntervalMillis: number;
  /** Never above the interval, as the SDK's own reader clamps it. */
  exportTimeoutMillis: number;
}

/** The specification's defaults for OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT. */
const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 30_000;

export function readTelemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  return {
    serviceName: nonEmpty(env['OTEL_SERVICE_NAME']) ?? nonEmpty(env['HERALD_SERVICE_NAME']),
    sdkDisabled: nonEmpty(env['OTEL_SDK_DISABLED'])?.toLowerCase() === 'true',
    exportsTraces: hasOtlpEndpoint(env, 'TRACES'),
    metricExport: hasOtlpEndpoint(env, 'METRICS') ? metricExportOf(env) : undefined,
    diagnosticsLevel: nonEmpty(env['OTEL_LOG_LEVEL'])?.toUpperCase() ?? 'INFO',
  };
}

function metricExportOf(env: NodeJS.ProcessEnv): MetricExportSettings {
  const protocol =
    nonEmpty(env['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL']) ?? nonEmpty(env['OTEL_EXPORTER_OTLP_PROTOCOL']);
  const interval = nonNegativeNumber(env['OTEL_METRIC_EXPORT_INTERVAL']) ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  const timeout = nonNegativeNumber(env['OTEL_METRIC_EXPORT_TIMEOUT']) ?? DEFAULT_METRIC_EXPORT_TIMEOUT_MS;
  return {
    json: protocol === 'http/json',
    exportIntervalMillis: interval,
    exportTimeoutMillis: Math.min(timeout, interval),
  };
}

/** OTLP export is on only when an endpoint is configured: without one nothing leaves the process. */
function hasOtlpEndpoint(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): boolean {
  const exporterList = nonEmpty(env[`OTEL_${signal}_EXPORTER`]);
  if (exporterList !== undefined && exporterList.split(',').some((name) => name.trim() === 'none')) {
    return false;
  }
  return (
    nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']) !== undefined ||
    nonEmpty(env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]) !== undefined
  );
}

function nonNegativeNumber(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const number = Number(text);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
