export * from './telemetry';
export * from './tracing';
export * from './metrics/herald-metrics';
export * from './metrics/metrics.module';
export * from './health/dependency-probe';
export * from './health/health.module';
export * from './shutdown';
export * from './operations.module';
