import { type DynamicModule, Module } from '@nestjs/common';
import { topicsToConsume } from '#herald/contracts';
import type { PresenceServiceDeps } from './presence.config';
import { PresenceConsumer } from './presence.consumer';
import { PRESENCE_TOPICS } from './presence.records';
import { EndedDeviceSweeper } from './ended-device-sweeper';
import {
  createEndedDeviceRetention,
  createPresencePublications,
  createPresenceService,
} from './presence.services';
import {
  PRESENCE_BUS,
  PRESENCE_CONFIG,
  PRESENCE_CONSUMED_TOPICS,
  PRESENCE_ENDED_DEVICES_TOKEN,
  PRESENCE_PUBLICATIONS_TOKEN,
  PRESENCE_SERVICE_TOKEN,
  PRESENCE_SUBSCRIPTIONS_TOKEN,
} from './presence.tokens';
import { createPresenceSubscriptions, SubscriptionExpirySweeper } from './presence.subscriptions';
import { PublicationExpirySweeper } from './publication-expiry-sweeper';

/** The presence service: rosters, buddy requests, per-device status, aggregate presence, fan-out. */
@Module({})
export class PresenceModule {
  static register(deps: PresenceServiceDeps): DynamicModule {
    return {
      module: PresenceModule,
      providers: [
        { provide: PRESENCE_BUS, useValue: deps.bus },
        { provide: PRESENCE_CONFIG, useValue: deps.config },
        { provide: PRESENCE_SERVICE_TOKEN, useValue: createPresenceService(deps.bus, deps.dataSource) },
        {
          provide: PRESENCE_PUBLICATIONS_TOKEN,
          useValue: createPresencePublications(deps.bus, deps.dataSource),
        },
        {
          provide: PRESENCE_SUBSCRIPTIONS_TOKEN,
          useValue: createPresenceSubscriptions(deps.bus, deps.dataSource),
        },
        { provide: PRESENCE_ENDED_DEVICES_TOKEN, useValue: createEndedDeviceRetention(deps.dataSource) },
        {
          provide: PRESENCE_CONSUMED_TOPICS,
          useValue: topicsToConsume(PRESENCE_TOPICS, deps.consumeLegacyTopics),
        },
        PresenceConsumer,
        PublicationExpirySweeper,
        EndedDeviceSweeper,
        SubscriptionExpirySweeper,
      ],
      exports: [PRESENCE_SERVICE_TOKEN],
    };
  }
}
