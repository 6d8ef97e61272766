import { Inject, Injectable } from '@nestjs/common';
import { componentLogger } from '#herald/observability';
import type { EventBus, SubscriptionHandle } from '#herald/bus';
import { ImRouter } from '#herald/domain';
import { BusConsumer } from '#herald/runtime';
import { ImRouterRecordHandler, subscribeImRouter } from './im-router.records';

/** Injection token of the EventBus given to ImRouterModule.register. */
export const IM_ROUTER_BUS = Symbol('IM_ROUTER_BUS');
/** Injection token of the topics im-router's consumer subscribes to. */
export const IM_ROUTER_CONSUMED_TOPICS = Symbol('IM_ROUTER_CONSUMED_TOPICS');

/** Subscribes im-router's topics once the application is up; stops consuming at shutdown. */
@Injectable()
export class ImRouterConsumer extends BusConsumer {
  private readonly records: ImRouterRecordHandler;

  constructor(
    @Inject(IM_ROUTER_BUS) private readonly bus: EventBus,
    router: ImRouter,
    @Inject(IM_ROUTER_CONSUMED_TOPICS) private readonly topics: readonly string[],
  ) {
    super();
    this.records = new ImRouterRecordHandler(router, componentLogger('ImRouterConsumer'));
  }

  protected subscribe(): Promise<SubscriptionHandle> {
    return subscribeImRouter(this.bus, this.records, this.topics);
  }
}
