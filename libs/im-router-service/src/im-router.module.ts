import { type DynamicModule, Module } from '@nestjs/common';
import { ImRouter } from '#herald/domain';
import type { ImRouterServiceDeps } from './im-router.config';
import { IM_ROUTER_BUS, ImRouterConsumer } from './im-router.consumer';
import { createImRouter } from './im-router.factory';
import { PlainDeviceSweeper } from './plain-device-sweeper';

/**
 * im-router as a Nest module: `ImRouterModule.register(deps)` in its own main.ts (Kafka) or in
 * the embedded app next to the other services (in-process bus, one DataSource).
 */
@Module({})
export class ImRouterModule {
  static register(deps: ImRouterServiceDeps): DynamicModule {
    return {
      module: ImRouterModule,
      providers: [
        { provide: IM_ROUTER_BUS, useValue: deps.bus },
        { provide: ImRouter, useFactory: () => createImRouter(deps) },
        ImRouterConsumer,
        PlainDeviceSweeper,
      ],
      exports: [ImRouter],
    };
  }
}
