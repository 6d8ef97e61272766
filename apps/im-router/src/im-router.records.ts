import type { ConsumedRecord, EventBus, SubscriptionHandle } from '#herald/bus';
import {
  AUTH_DEVICE_REGISTERED_V1,
  AUTH_SESSION_STARTED_V1,
  commandReceivedV1,
  ContractError,
  deviceRegisteredV1,
  pushOutcomeV1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_PUSH_OUTCOME_V1,
  sessionStartedV1,
} from '#herald/contracts';
import type { ImRouter } from '#herald/domain';
import { metrics } from '@opentelemetry/api';
import { IM_ROUTER_CONSUMER_GROUP } from './im-router.config';

/** A record of a topic the consumer did not subscribe to: a wiring bug, never skipped silently. */
export class UnexpectedTopicError extends Error {
  readonly code = 'IM_ROUTER_UNEXPECTED_TOPIC';
}

type Dispatch = (router: ImRouter, value: Buffer) => () => Promise<void>;

/**
 * Decoding per topic: each entry decodes (throwing ContractError on a bad record) and returns
 * the domain call, so only decoding failures are told apart from processing failures.
 */
const DISPATCH: Readonly<Record<string, Dispatch>> = {
  [SIP_COMMAND_RECEIVED_V1]: (router, value) => {
    const event = commandReceivedV1.decode(value);
    return () => router.handleCommand(event);
  },
  [SIP_PUSH_OUTCOME_V1]: (router, value) => {
    const event = pushOutcomeV1.decode(value);
    return () => router.settle(event);
  },
  [AUTH_SESSION_STARTED_V1]: (router, value) => {
    const event = sessionStartedV1.decode(value);
    return () => router.deliverStored(event.aor, event.deviceId);
  },
  [AUTH_DEVICE_REGISTERED_V1]: (router, value) => {
    const event = deviceRegisteredV1.decode(value);
    return () => router.deviceRegistered(event);
  },
};

export const IM_ROUTER_TOPICS: readonly string[] = Object.keys(DISPATCH);

export interface RecordLogger {
  error(message: string): void;
}

/**
 * The thin Kafka side of im-router, without NestJS: decode with the contract, await the domain,
 * never swallow. Only a record that breaks its contract is skipped (logged and counted).
 */
export class ImRouterRecordHandler {
  private readonly rejectedRecords = metrics
    .getMeter('herald-im-router')
    .createCounter('herald.consumer.rejected_records', {
      description: 'Records skipped because they do not satisfy their contract',
    });

  constructor(
    private readonly router: ImRouter,
    private readonly logger: RecordLogger,
  ) {}

  /** Resolves once the record's effects are committed and published; throws to have it retried. */
  async handle(record: ConsumedRecord): Promise<void> {
    const dispatch = DISPATCH[record.topic];
    if (dispatch === undefined) {
      throw new UnexpectedTopicError(`im-router does not consume ${record.topic}`);
    }
    let process: () => Promise<void>;
    try {
      process = dispatch(this.router, record.value);
    } catch (error) {
      if (!(error instanceof ContractError)) {
        throw error;
      }
      // Retrying cannot fix a record that breaks its contract: it would block the partition forever.
      this.logger.error(
        `skipped ${record.topic}[${record.partition}]@${record.offset} (${error.code}): ${error.message}`,
      );
      this.rejectedRecords.add(1, { topic: record.topic, code: error.code });
      return;
    }
    await process();
  }
}

/** Consumes im-router's topics in its consumer group until the handle is stopped. */
export function subscribeImRouter(
  bus: EventBus,
  records: ImRouterRecordHandler,
): Promise<SubscriptionHandle> {
  return bus.subscribe({
    groupId: IM_ROUTER_CONSUMER_GROUP,
    topics: IM_ROUTER_TOPICS,
    handler: (record) => records.handle(record),
  });
}
