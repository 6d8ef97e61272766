import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EventBus, SubscriptionHandle } from '#herald/bus';
import { ImRouter } from '#herald/domain';
import { ImRouterRecordHandler, subscribeImRouter } from './im-router.records';

/** Injection token of the EventBus given to ImRouterModule.register. */
export const IM_ROUTER_BUS = Symbol('IM_ROUTER_BUS');

/** Subscribes im-router's topics once the application is up; stops consuming at shutdown. */
@Injectable()
export class ImRouterConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly records: ImRouterRecordHandler;
  private subscription: SubscriptionHandle | undefined;

  constructor(
    @Inject(IM_ROUTER_BUS) private readonly bus: EventBus,
    router: ImRouter,
  ) {
    this.records = new ImRouterRecordHandler(router, new Logger('ImRouterConsumer'));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await subscribeImRouter(this.bus, this.records);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}
