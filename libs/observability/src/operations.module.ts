import { type DynamicModule, Module } from '@nestjs/common';
import type { DependencyProbe } from './health/dependency-probe';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

/**
 * A standalone service's root module: the service itself plus `/health/live`, `/health/ready`
 * (running `probes`) and `/metrics`, all on HERALD_HTTP_PORT.
 */
@Module({})
export class OperationsModule {
  static around(service: DynamicModule, probes: ReadonlyArray<DependencyProbe>): DynamicModule {
    return {
      module: OperationsModule,
      imports: [service, HealthModule.register(probes), MetricsModule],
    };
  }
}
