import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** `/metrics` in the Prometheus text format (the SDK must have been started by register.ts). */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
