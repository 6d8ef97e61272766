import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EventBus, SubscriptionHandle } from '#herald/bus';
import { AUTH_CONSUMER_GROUP } from './auth.config';
import { AUTH_TOPICS, AuthRecordHandler } from './auth.records';
import type { AuthServices } from './auth.services';
import { AUTH_BUS, AUTH_SERVICES } from './auth.tokens';

/** Subscribes auth's record handler in the `herald-auth` group for the application's lifetime. */
@Injectable()
export class AuthConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly records: AuthRecordHandler;
  private subscription: SubscriptionHandle | undefined;

  constructor(
    @Inject(AUTH_BUS) private readonly bus: EventBus,
    @Inject(AUTH_SERVICES) services: AuthServices,
  ) {
    this.records = new AuthRecordHandler(services, new Logger('AuthConsumer'));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: AUTH_CONSUMER_GROUP,
      topics: AUTH_TOPICS,
      handler: (record) => this.records.handle(record),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}
