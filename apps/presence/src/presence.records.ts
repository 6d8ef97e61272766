import type { LoggerService } from '@nestjs/common';
import type { ConsumedRecord } from '#herald/bus';
import {
  AUTH_DEVICE_REGISTERED_V1,
  AUTH_DEVICE_UNREGISTERED_V1,
  AUTH_SESSION_ENDED_V1,
  AUTH_SESSION_STARTED_V1,
  commandReceivedV1,
  ContractError,
  deviceRegisteredV1,
  deviceUnregisteredV1,
  sessionEndedV1,
  sessionStartedV1,
  SIP_COMMAND_RECEIVED_V1,
} from '#herald/contracts';
import type { PresenceService } from '#herald/domain';

/** Topics presence consumes (architecture.md, Topics). */
export const PRESENCE_TOPICS: readonly string[] = [
  SIP_COMMAND_RECEIVED_V1,
  AUTH_SESSION_STARTED_V1,
  AUTH_SESSION_ENDED_V1,
  AUTH_DEVICE_REGISTERED_V1,
  AUTH_DEVICE_UNREGISTERED_V1,
];

export class UnexpectedTopicError extends Error {
  readonly code = 'PRESENCE_UNEXPECTED_TOPIC';
}

/** The domain entry points the records are handed to. */
export type PresenceEventHandlers = Pick<
  PresenceService,
  'handleCommand' | 'sessionStarted' | 'sessionEnded' | 'deviceRegistered' | 'deviceUnregistered'
>;

/** The thin Kafka side of presence: decode with the contract, await the domain, never swallow. */
export class PresenceRecordHandler {
  constructor(
    private readonly presence: PresenceEventHandlers,
    private readonly logger: LoggerService,
  ) {}

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
    const { presence } = this;
    switch (record.topic) {
      case SIP_COMMAND_RECEIVED_V1: {
        const event = commandReceivedV1.decode(record.value);
        return () => presence.handleCommand(event);
      }
      case AUTH_SESSION_STARTED_V1: {
        const event = sessionStartedV1.decode(record.value);
        return () => presence.sessionStarted(event);
      }
      case AUTH_SESSION_ENDED_V1: {
        const event = sessionEndedV1.decode(record.value);
        return () => presence.sessionEnded(event);
      }
      case AUTH_DEVICE_REGISTERED_V1: {
        const event = deviceRegisteredV1.decode(record.value);
        return () => presence.deviceRegistered(event);
      }
      case AUTH_DEVICE_UNREGISTERED_V1: {
        const event = deviceUnregisteredV1.decode(record.value);
        return () => presence.deviceUnregistered(event);
      }
      default:
        throw new UnexpectedTopicError(`presence does not consume ${record.topic}`);
    }
  }
}
