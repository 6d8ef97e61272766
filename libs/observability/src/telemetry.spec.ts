import { metricExportTiming, serviceNameOf } from './telemetry';
import { DEFAULT_SHUTDOWN_GRACE_MS, ShutdownConfigError, shutdownGraceMs } from './shutdown';

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

describe('shutdownGraceMs', () => {
  it('reads HERALD_SHUTDOWN_GRACE_MS, 25 s by default', () => {
    expect(shutdownGraceMs({})).toBe(DEFAULT_SHUTDOWN_GRACE_MS);
    expect(shutdownGraceMs({ HERALD_SHUTDOWN_GRACE_MS: '8000' })).toBe(8000);
  });

  it('refuses anything but a positive integer, with a stable code', () => {
    for (const raw of ['0', '-5', '1.5', 'soon']) {
      expect(() => shutdownGraceMs({ HERALD_SHUTDOWN_GRACE_MS: raw })).toThrow(ShutdownConfigError);
    }
    expect(new ShutdownConfigError('x').code).toBe('SHUTDOWN_GRACE_INVALID');
  });
});
