import { metricExportTiming, serviceNameOf } from './telemetry';

describe('metricExportTiming', () => {
  it('defaults to the specification (60 s interval, 30 s timeout)', () => {
    expect(metricExportTiming({})).toEqual({ exportIntervalMillis: 60_000, exportTimeoutMillis: 30_000 });
  });

  it('reads OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT, the timeout never above the interval', () => {
    expect(
      metricExportTiming({ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '500' }),
    ).toEqual({
      exportIntervalMillis: 1000,
      exportTimeoutMillis: 500,
    });
    expect(metricExportTiming({ OTEL_METRIC_EXPORT_INTERVAL: '1000' })).toEqual({
      exportIntervalMillis: 1000,
      exportTimeoutMillis: 1000,
    });
  });

  it('ignores values that are not non-negative numbers', () => {
    expect(
      metricExportTiming({ OTEL_METRIC_EXPORT_INTERVAL: 'soon', OTEL_METRIC_EXPORT_TIMEOUT: '-1' }),
    ).toEqual({
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 30_000,
    });
  });
});

describe('serviceNameOf', () => {
  it('names a standalone app herald-<app> and the embedded one herald', () => {
    expect(serviceNameOf('/srv/dist/apps/sip-edge/src/main.js', {})).toBe('herald-sip-edge');
    expect(serviceNameOf('/srv/dist/apps/herald/src/main.js', {})).toBe('herald');
    expect(serviceNameOf(undefined, {})).toBe('herald');
  });

  it('lets HERALD_SERVICE_NAME override it', () => {
    expect(serviceNameOf('/srv/dist/apps/auth/src/main.js', { HERALD_SERVICE_NAME: 'auth-eu' })).toBe(
      'auth-eu',
    );
  });
});
