import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { DependencyProbe } from './dependency-probe';
import { DEPENDENCY_PROBES, HealthController } from './health.controller';

/** `/health/live` and `/health/ready` for an app's HTTP server; readiness runs the given probes. */
@Module({})
export class HealthModule {
  static register(probes: ReadonlyArray<DependencyProbe>): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: DEPENDENCY_PROBES, useValue: probes }],
    };
  }
}
