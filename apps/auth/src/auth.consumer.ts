import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConsumedRecord, EventBus, SubscriptionHandle } from '#herald/bus';
import {
  commandReceivedV1,
  ContractError,
  registerRequestedV1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_REGISTER_REQUESTED_V1,
} from '#herald/contracts';
import { AUTH_CONSUMER_GROUP } from './auth.config';
import { AUTH_BUS, AUTH_SERVICES } from './auth.tokens';
import type { AuthServices } from './auth.services';

export class UnexpectedTopicError extends Error {
  readonly code = 'AUTH_UNEXPECTED_TOPIC';
}

export const AUTH_TOPICS: readonly string[] = [SIP_REGISTER_REQUESTED_V1, SIP_COMMAND_RECEIVED_V1];

/** The thin Kafka side of auth: decode with the contract, await the domain, never swallow. */
@Injectable()
export class AuthConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuthConsumer');
  private subscription: SubscriptionHandle | undefined;

  constructor(
    @Inject(AUTH_BUS) private readonly bus: EventBus,
    @Inject(AUTH_SERVICES) private readonly services: AuthServices,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: AUTH_CONSUMER_GROUP,
      topics: AUTH_TOPICS,
      handler: (record) => this.handle(record),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /** Resolves once the record's effects are committed and published; throws to have it retried. */
  async handle(record: ConsumedRecord): Promise<void> {
    let process: () => Promise<void>;
    try {
      process = this.decode(record);
    } catch (error) {
      if (!(error instanceof ContractError)) {
        throw error;
      }
      // Retrying cannot fix a record that breaks its contract: it would block the partition forever.
      this.logger.error(
        `skipped ${record.topic}[${record.partition}]@${record.offset} (${error.code}): ${error.message}`,
      );
      return;
    }
    await process();
  }

  private decode(record: ConsumedRecord): () => Promise<void> {
    switch (record.topic) {
      case SIP_REGISTER_REQUESTED_V1: {
        const request = registerRequestedV1.decode(record.value);
        return () => this.services.registrar.register(request);
      }
      case SIP_COMMAND_RECEIVED_V1: {
        const command = commandReceivedV1.decode(record.value);
        return () => this.services.commands.handle(command);
      }
      default:
        throw new UnexpectedTopicError(`auth does not consume ${record.topic}`);
    }
  }
}
