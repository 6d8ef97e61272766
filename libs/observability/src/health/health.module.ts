import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { DependencyProbe } from './dependency-probe';
import { DEPENDENCY_PROBES, HealthController } from './health.controller';

/** Probes built from providers of the app (the edge's own readiness needs the wired SipEdge). */
export interface HealthProbesFactory {
  imports?: ModuleMetadata['imports'];
  inject: InjectionToken[];
  useFactory: (...dependencies: never[]) => ReadonlyArray<DependencyProbe>;
}

/** `/health/live` and `/health/ready` for an app's HTTP server; readiness runs the given probes. */
@Module({})
export class HealthModule {
  static register(probes: ReadonlyArray<DependencyProbe>): DynamicModule {
    return HealthModule.registerAsync({ inject: [], useFactory: () => probes });
  }

  static registerAsync(factory: HealthProbesFactory): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(factory.imports ?? [])],
      controllers: [HealthController],
      providers: [{ provide: DEPENDENCY_PROBES, inject: factory.inject, useFactory: factory.useFactory }],
    };
  }
}
