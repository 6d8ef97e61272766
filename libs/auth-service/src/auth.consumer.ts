import { Inject, Injectable } from '@nestjs/common';
import { componentLogger } from '#herald/observability';
import type { EventBus, SubscriptionHandle } from '#herald/bus';
import { GROUP_COMMIT_MAX_ITEMS } from '#herald/domain';
import { BusConsumer } from '#herald/runtime';
import { AUTH_CONSUMER_GROUP } from './auth.config';
import { AuthRecordHandler } from './auth.records';
import type { AuthServices } from './auth.services';
import { AUTH_BUS, AUTH_CONSUMED_TOPICS, AUTH_SERVICES } from './auth.tokens';

/** Subscribes auth's record handler in the `herald-auth` group for the application's lifetime. */
@Injectable()
export class AuthConsumer extends BusConsumer {
  private readonly records: AuthRecordHandler;

  constructor(
    @Inject(AUTH_BUS) private readonly bus: EventBus,
    @Inject(AUTH_SERVICES) services: AuthServices,
    @Inject(AUTH_CONSUMED_TOPICS) private readonly topics: readonly string[],
  ) {
    super();
    this.records = new AuthRecordHandler(services, componentLogger('AuthConsumer'));
  }

  protected subscribe(): Promise<SubscriptionHandle> {
    return this.bus.subscribe({
      groupId: AUTH_CONSUMER_GROUP,
      topics: this.topics,
      // REGISTERs are group-committed (Registrar): the keys in flight are what fills a group, and
      // one waiting for its group holds no database connection (commands still queue on the pool).
      handlerConcurrency: GROUP_COMMIT_MAX_ITEMS,
      handler: (record) => this.records.handle(record),
    });
  }
}
