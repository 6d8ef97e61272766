import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { SubscriptionHandle } from '#herald/bus';

/** A service's consumer: subscribes once the application is up, stops consuming at shutdown. */
export abstract class BusConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: SubscriptionHandle | undefined;

  /** Joins the service's consumer group with its record handler. */
  protected abstract subscribe(): Promise<SubscriptionHandle>;

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.subscribe();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}
