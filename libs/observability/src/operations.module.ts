import { type DynamicModule, Module } from '@nestjs/common';
import type { DependencyProbe } from './health/dependency-probe';
import { HealthModule, type HealthProbesFactory } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

/**
 * A standalone service's root module: the service itself plus `/health/live`, `/health/ready`
 * (running `probes`, or the probes a factory builds from the service's providers) and `/metrics`, all on HERALD_HTTP_PORT.
 */
@Module({})
export class OperationsModule {
  static around(
    service: DynamicModule,
    probes: ReadonlyArray<DependencyProbe> | HealthProbesFactory,
  ): DynamicModule {
    const health = 'inject' in probes ? HealthModule.registerAsync(probes) : HealthModule.register(probes);
    return {
      module: OperationsModule,
      imports: [service, health, MetricsModule],
    };
  }
}
