import { type DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthController } from './health.controller';
import type { ImRouterServiceDeps } from './im-router.config';
import { ImRouterModule } from './im-router.module';

/** The standalone im-router process: the service plus its health endpoints. */
@Module({})
export class ImRouterAppModule {
  static register(deps: ImRouterServiceDeps): DynamicModule {
    return {
      module: ImRouterAppModule,
      imports: [ImRouterModule.register(deps)],
      controllers: [HealthController],
      providers: [{ provide: DataSource, useValue: deps.dataSource }],
    };
  }
}
