import { readTelemetrySettings } from './telemetry-settings';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

describe('readTelemetrySettings', () => {
  it('exports nothing without an OTLP endpoint', () => {
    expect(readTelemetrySettings({})).toEqual({
      serviceName: undefined,
      sdkDisabled: false,
      exportsTraces: false,
      metricExport: undefined,
      diagnosticsLevel: 'INFO',
    });
  });

  it('exports traces and metrics to a common endpoint unless a signal says none', () => {
    expect(readTelemetrySettings(ENDPOINT)).toMatchObject({
      exportsTraces: true,
      metricExport: { json: false },
    });
    expect(readTelemetrySettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }).exportsTraces).toBe(false);
    expect(
      readTelemetrySettings({ ...ENDPOINT, OTEL_METRICS_EXPORTER: 'otlp, none' }).metricExport,
    ).toBeUndefined();
    expect(
      readTelemetrySettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318' }),
    ).toMatchObject({
      exportsTraces: false,
      metricExport: { json: false },
    });
  });

  it('encodes metrics as JSON only when http/json is asked for, the signal protocol first', () => {
    expect(
      readTelemetrySettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).metricExport?.json,
    ).toBe(true);
    expect(
      readTelemetrySettings({
        ...ENDPOINT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      }).metricExport?.json,
    ).toBe(false);
  });

  it('defaults the metric export timing to the specification (60 s interval, 30 s timeout)', () => {
    expect(readTelemetrySettings(ENDPOINT).metricExport).toMatchObject({
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 30_000,
    });
  });

  it('reads OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT, the timeout never above the interval', () => {
    const timing = (interval: string, timeout?: string) =>
      readTelemetrySettings({
        ...ENDPOINT,
        OTEL_METRIC_EXPORT_INTERVAL: interval,
        ...(timeout === undefined ? {} : { OTEL_METRIC_EXPORT_TIMEOUT: timeout }),
      }).metricExport;
    expect(timing('1000', '500')).toMatchObject({ exportIntervalMillis: 1000, exportTimeoutMillis: 500 });
    expect(timing('1000')).toMatchObject({ exportIntervalMillis: 1000, exportTimeoutMillis: 1000 });
    expect(timing('soon', '-1')).toMatchObject({ exportIntervalMillis: 60_000, exportTimeoutMillis: 30_000 });
  });

  it('reads OTEL_SDK_DISABLED, OTEL_LOG_LEVEL and the service name leniently', () => {
    expect(
      readTelemetrySettings({
        OTEL_SDK_DISABLED: ' TRUE ',
        OTEL_LOG_LEVEL: 'warn',
        HERALD_SERVICE_NAME: ' edge-1 ',
      }),
    ).toMatchObject({ sdkDisabled: true, diagnosticsLevel: 'WARN', serviceName: 'edge-1' });
    expect(readTelemetrySettings({ OTEL_SDK_DISABLED: 'yes', OTEL_SERVICE_NAME: ' ' }).sdkDisabled).toBe(
      false,
    );
  });
});
