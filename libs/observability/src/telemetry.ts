import { basename, dirname } from 'node:path';
import { readTelemetrySettings, type MetricExportSettings, type TelemetrySettings } from '#herald/config';
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
export function startTelemetry(
  options: TelemetryOptions,
  settings: TelemetrySettings = readTelemetrySettings(),
): Telemetry {
  if (current !== undefined) {
    return current;
  }
  const serviceName = settings.serviceName ?? options.serviceName;
  // The scrape is served by Nest on HERALD_HTTP_PORT, never by a server of its own.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  current = {
    serviceName,
    prometheus,
    ...(settings.sdkDisabled ? scrapeOnly(prometheus) : startSdk(settings, serviceName, prometheus)),
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
  settings: TelemetrySettings,
  serviceName: string,
  prometheus: PrometheusExporter,
): Pick<Telemetry, 'shutdown'> {
  const metricReaders: IMetricReader[] = [prometheus];
  if (settings.metricExport !== undefined) {
    metricReaders.push(otlpMetricReader(settings.metricExport));
  }
  const exportsTraces = settings.exportsTraces;
  const sdk = startNodeSdk({
    resourceAttributes: { 'service.name': serviceName },
    metricReaders,
    // Undefined lets the SDK build the OTLP span exporter from OTEL_* (protocol, batch settings).
    spanProcessors: exportsTraces ? undefined : [],
    logRecordProcessors: [],
    instrumentations: instrumentationsFor(settings),
  });
  // startNodeSdk installed a console logger for the SDK's diagnostics: through the log pipeline instead.
  logOpenTelemetryDiagnostics(settings.diagnosticsLevel);
  const stopRuntime = observeMeters();
  return {
    shutdown: async () => {
      stopRuntime();
      await sdk.shutdown();
    },
  };
}

/**
 * The libraries patched to make spans: HTTP and pg only when traces are exported. Without an
 * exporter no tracer is installed, yet a patched pg still wraps every query (attributes, a no-op
 * span, its own duration histogram that no dashboard reads): about 2 % of the embedded default's
 * CPU under IM load (bench/README.md, session 7).
 */
export function instrumentationsFor(
  settings: TelemetrySettings,
): (HttpInstrumentation | PgInstrumentation)[] {
  return settings.exportsTraces ? [new HttpInstrumentation(), new PgInstrumentation()] : [];
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
 * (OTEL_SERVICE_NAME, else HERALD_SERVICE_NAME, overrides it: TelemetrySettings.serviceName).
 */
export function serviceNameOf(
  mainScript: string | undefined,
  settings: Pick<TelemetrySettings, 'serviceName'> = readTelemetrySettings(),
): string {
  if (settings.serviceName !== undefined) {
    return settings.serviceName;
  }
  if (mainScript === undefined) {
    return 'herald';
  }
  const app = basename(dirname(dirname(mainScript)));
  return app === 'herald' || app === '' || app === '.' ? 'herald' : `herald-${app}`;
}

/** The OTLP/HTTP metric exporter in the configured encoding, read out at the configured interval. */
function otlpMetricReader(settings: MetricExportSettings): PeriodicExportingMetricReader {
  const exporter: PushMetricExporter = settings.json
    ? new OtlpJsonMetricExporter()
    : new OtlpProtobufMetricExporter();
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: settings.exportIntervalMillis,
    exportTimeoutMillis: settings.exportTimeoutMillis,
  });
}
