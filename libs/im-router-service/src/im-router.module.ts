import { type DynamicModule, Module } from '@nestjs/common';
import { topicsToConsume } from '#herald/contracts';
import { ImRouter } from '#herald/domain';
import type { ImRouterModuleDeps } from './im-router.config';
import { IM_ROUTER_BUS, IM_ROUTER_CONSUMED_TOPICS, ImRouterConsumer } from './im-router.consumer';
import { IM_ROUTER_TOPICS } from './im-router.records';
import { createImRouter } from './im-router.factory';
import { PlainDeviceSweeper } from './plain-device-sweeper';
import {
  createMessageRetention,
  IM_ROUTER_MESSAGE_RETENTION,
  MessageRetentionSweeper,
} from './message-retention-sweeper';

/**
 * im-router as a Nest module: `ImRouterModule.register(deps)` in its own main.ts (Kafka) or in
 * the embedded app next to the other services (in-process bus, one DataSource).
 */
@Module({})
export class ImRouterModule {
  static register(deps: ImRouterModuleDeps): DynamicModule {
    return {
      module: ImRouterModule,
      providers: [
        { provide: IM_ROUTER_BUS, useValue: deps.bus },
        { provide: ImRouter, useFactory: () => createImRouter(deps) },
        {
          provide: IM_ROUTER_CONSUMED_TOPICS,
          useValue: topicsToConsume(IM_ROUTER_TOPICS, deps.consumeLegacyTopics),
        },
        {
          provide: IM_ROUTER_MESSAGE_RETENTION,
          useFactory: () => createMessageRetention(deps.dataSource, deps.config.messageRetentionDays),
        },
        ImRouterConsumer,
        PlainDeviceSweeper,
        MessageRetentionSweeper,
      ],
      exports: [ImRouter],
    };
  }
}
