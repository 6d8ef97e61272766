import { Inject, Injectable } from '@nestjs/common';
import { componentLogger } from '#herald/observability';
import type { EventBus, SubscriptionHandle } from '#herald/bus';
import { ImRouter } from '#herald/domain';
import { BusConsumer } from '#herald/runtime';
import { ImRouterRecordHandler, subscribeImRouter } from './im-router.records';

/** Injection token of the EventBus given to ImRouterModule.register. */
export const IM_ROUTER_BUS = Symbol('IM_ROUTER_BUS');

/** Subscribes im-router's topics once the application is up; stops consuming at shutdown. */
@Injectable()
export class ImRouterConsumer extends BusConsumer {
  private readonly records: ImRouterRecordHandler;

  constructor(
    @Inject(IM_ROUTER_BUS) private readonly bus: EventBus,
    router: ImRouter,
  ) {
    super();
    this.records = new ImRouterRecordHandler(router, componentLogger('ImRouterConsumer'));
  }

  protected subscribe(): Promise<SubscriptionHandle> {
    return subscribeImRouter(this.bus, this.records);
  }
}
