import { readTelemetrySettings } from '#herald/config';
import { instrumentationsFor, serviceNameOf } from './telemetry';

describe('serviceNameOf', () => {
  it('names a standalone app herald-<app> and the embedded one herald', () => {
    expect(serviceNameOf('/srv/dist/apps/sip-edge/src/main.js', readTelemetrySettings({}))).toBe(
      'herald-sip-edge',
    );
    expect(serviceNameOf('/srv/dist/apps/herald/src/main.js', readTelemetrySettings({}))).toBe('herald');
    expect(serviceNameOf(undefined, readTelemetrySettings({}))).toBe('herald');
  });

  it('lets HERALD_SERVICE_NAME override it, and OTEL_SERVICE_NAME both', () => {
    const main = '/srv/dist/apps/auth/src/main.js';
    expect(serviceNameOf(main, readTelemetrySettings({ HERALD_SERVICE_NAME: 'auth-eu' }))).toBe('auth-eu');
    expect(
      serviceNameOf(
        main,
        readTelemetrySettings({ HERALD_SERVICE_NAME: 'auth-eu', OTEL_SERVICE_NAME: 'otel-auth' }),
      ),
    ).toBe('otel-auth');
  });
});

describe('instrumentationsFor', () => {
  it('patches HTTP and pg only when traces are exported', () => {
    expect(instrumentationsFor(readTelemetrySettings({}))).toEqual([]);
    expect(
      instrumentationsFor(
        readTelemetrySettings({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
          OTEL_TRACES_EXPORTER: 'none',
        }),
      ),
    ).toEqual([]);
    const exported = instrumentationsFor(
      readTelemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }),
    );
    expect(exported.map((instrumentation) => instrumentation.instrumentationName)).toEqual([
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-pg',
    ]);
  });
});
