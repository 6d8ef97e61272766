import { Inject, Injectable } from '@nestjs/common';
import { componentLogger } from '#herald/observability';
import type { EventBus, SubscriptionHandle } from '#herald/bus';
import type { PresencePublications, PresenceService } from '#herald/domain';
import { BusConsumer } from '#herald/runtime';
import type { PresenceConfig } from './presence.config';
import { presenceEventHandlers, PresenceRecordHandler } from './presence.records';
import {
  PRESENCE_BUS,
  PRESENCE_CONFIG,
  PRESENCE_CONSUMED_TOPICS,
  PRESENCE_PUBLICATIONS_TOKEN,
  PRESENCE_SERVICE_TOKEN,
  PRESENCE_SUBSCRIPTIONS_TOKEN,
} from './presence.tokens';
import type { PresenceSubscriptions } from './presence.subscriptions';

/** Subscribes presence's topics once the application is up; stops consuming at shutdown. */
@Injectable()
export class PresenceConsumer extends BusConsumer {
  private readonly records: PresenceRecordHandler;

  constructor(
    @Inject(PRESENCE_BUS) private readonly bus: EventBus,
    @Inject(PRESENCE_CONFIG) private readonly config: PresenceConfig,
    @Inject(PRESENCE_SERVICE_TOKEN) presence: PresenceService,
    @Inject(PRESENCE_PUBLICATIONS_TOKEN) publications: PresencePublications,
    @Inject(PRESENCE_SUBSCRIPTIONS_TOKEN) subscriptions: PresenceSubscriptions,
    @Inject(PRESENCE_CONSUMED_TOPICS) private readonly topics: readonly string[],
  ) {
    super();
    this.records = new PresenceRecordHandler(
      presenceEventHandlers(presence, publications, subscriptions.service),
      componentLogger('PresenceConsumer'),
    );
  }

  protected subscribe(): Promise<SubscriptionHandle> {
    return this.bus.subscribe({
      groupId: this.config.consumerGroup,
      topics: this.topics,
      handler: (record) => this.records.handle(record),
    });
  }
}
