import { basename, dirname } from 'node:path';
import { OTLPMetricExporter as OtlpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { metrics } from '@opentelemetry/api';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { logOpenTelemetryDiagnostics } from './logging';
import { heraldMetrics } from './metrics/herald-metrics';
import { observeRuntime } from './metrics/runtime-metrics';

/**
 * The OpenTelemetry SDK of one Herald process, configured by the standard OTEL_* variables:
 * OTLP/HTTP export of traces and metrics when an OTLP endpoint is set, nothing exported otherwise,
 * and always a Prometheus reader that the MetricsModule serves on `/metrics` (HERALD_HTTP_PORT),
 * even with OTEL_SDK_DISABLED=true: scraping is how the chart monitors, OTLP export is separate.
 */
export interface TelemetryOptions {
  /** `service.name` of the resource; OTEL_SERVICE_NAME wins when set. */
  serviceName: string;
}

export interface Telemetry {
  readonly serviceName: string;
  /** Scraped by MetricsController. */
  readonly prometheus: PrometheusExporter;
  /** Flushes pending spans and metrics, then stops the SDK. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

/** The telemetry started in this process, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}

/** Starts the SDK once per process (a second call returns the first one's handle). */
/** Reads process.env: the SDK's exporters read their OTEL_* variables there too. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = process.env;
  if (current !== undefined) {
    return current;
  }
  const serviceName = nonEmpty(env['OTEL_SERVICE_NAME']) ?? options.serviceName;
  // The scrape is served by Nest on HERALD_HTTP_PORT, never by a server of its own.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  current = {
    serviceName,
    prometheus,
    ...(isTrue(env['OTEL_SDK_DISABLED']) ? scrapeOnly(prometheus) : startSdk(env, serviceName, prometheus)),
  };
  return current;
}

/** No SDK (no spans, no OTLP, no instrumentations), but the metrics stay scrapeable. */
function scrapeOnly(prometheus: PrometheusExporter): Pick<Telemetry, 'shutdown'> {
  const provider = new MeterProvider({ readers: [prometheus] });
  metrics.setGlobalMeterProvider(provider);
  const stopRuntime = observeMeters();
  return {
    shutdown: async () => {
      stopRuntime();
      await provider.shutdown();
      metrics.disable();
    },
  };
}

/** The SDK: the Prometheus reader, OTLP export of metrics and traces when an endpoint is set. */
function startSdk(
  env: NodeJS.ProcessEnv,
  serviceName: string,
  prometheus: PrometheusExporter,
): Pick<Telemetry, 'shutdown'> {
  const metricReaders: IMetricReader[] = [prometheus];
  const metricsExporter = otlpMetricExporter(env);
  if (metricsExporter !== undefined) {
    metricReaders.push(
      new PeriodicExportingMetricReader({ exporter: metricsExporter, ...metricExportTiming(env) }),
    );
  }
  const exportsTraces = hasOtlpEndpoint(env, 'TRACES');
  const sdk = startNodeSdk({
    resourceAttributes: { 'service.name': serviceName },
    metricReaders,
    // Undefined lets the SDK build the OTLP span exporter from OTEL_* (protocol, batch settings).
    spanProcessors: exportsTraces ? undefined : [],
    logRecordProcessors: [],
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation()],
  });
  // startNodeSdk installed a console logger for the SDK's diagnostics: through the log pipeline instead.
  logOpenTelemetryDiagnostics(env);
  const stopRuntime = observeMeters();
  return {
    shutdown: async () => {
      stopRuntime();
      await sdk.shutdown();
    },
  };
}

/**
 * Registers Herald's instruments and the runtime's with the provider just installed, so that the
 * first scrape lists them all (a gauge nobody asked for yet would be missing); returns the
 * runtime observers' stop.
 */
function observeMeters(): () => void {
  heraldMetrics();
  return observeRuntime(metrics.getMeter('herald-runtime'));
}

/** Stops the SDK started by startTelemetry (flushing what is pending) and forgets it. */
export async function shutdownTelemetry(): Promise<void> {
  const telemetry = current;
  current = undefined;
  await telemetry?.shutdown();
}

/**
 * The service name of an app run as `node dist/apps/<app>/src/main.js`: `herald-<app>`
 * (HERALD_SERVICE_NAME overrides it; OTEL_SERVICE_NAME overrides both in startTelemetry).
 */
export function serviceNameOf(mainScript: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const configured = nonEmpty(env['HERALD_SERVICE_NAME']);
  if (configured !== undefined) {
    return configured;
  }
  if (mainScript === undefined) {
    return 'herald';
  }
  const app = basename(dirname(dirname(mainScript)));
  return app === 'herald' || app === '' || app === '.' ? 'herald' : `herald-${app}`;
}

/** The specification's defaults for OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT. */
const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 30_000;

/**
 * OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT (ms) for the OTLP metric reader, which does not read them
 * itself; the timeout never exceeds the interval (as the SDK's own env reader clamps it).
 */
export function metricExportTiming(env: NodeJS.ProcessEnv): {
  exportIntervalMillis: number;
  exportTimeoutMillis: number;
} {
  const interval = nonNegativeNumber(env['OTEL_METRIC_EXPORT_INTERVAL']) ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  const timeout = nonNegativeNumber(env['OTEL_METRIC_EXPORT_TIMEOUT']) ?? DEFAULT_METRIC_EXPORT_TIMEOUT_MS;
  return { exportIntervalMillis: interval, exportTimeoutMillis: Math.min(timeout, interval) };
}

function nonNegativeNumber(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const number = Number(text);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

function otlpMetricExporter(env: NodeJS.ProcessEnv): PushMetricExporter | undefined {
  if (!hasOtlpEndpoint(env, 'METRICS')) {
    return undefined;
  }
  const protocol =
    nonEmpty(env['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL']) ?? nonEmpty(env['OTEL_EXPORTER_OTLP_PROTOCOL']);
  return protocol === 'http/json' ? new OtlpJsonMetricExporter() : new OtlpProtobufMetricExporter();
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

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
