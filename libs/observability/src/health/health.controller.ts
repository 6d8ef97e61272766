import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import type { DependencyProbe } from './dependency-probe';

/** Injection token of the probes readiness runs. */
export const DEPENDENCY_PROBES = Symbol('DEPENDENCY_PROBES');

/** A dependency that does not answer within this is down (the kubelet's probe timeout is longer). */
export const DEPENDENCY_CHECK_TIMEOUT_MS = 2_000;

/**
 * `/health/live`: the process serves HTTP (restart it when not). `/health/ready`: every dependency
 * answers; 503 while one is down, so the pod leaves the Service until it is back.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(DEPENDENCY_PROBES) private readonly probes: ReadonlyArray<DependencyProbe>,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check(
      this.probes.map(
        (probe) => () =>
          this.indicators
            .check(probe.name)
            .attempt(() => probe.check())
            .withTimeout(DEPENDENCY_CHECK_TIMEOUT_MS),
      ),
    );
  }
}
