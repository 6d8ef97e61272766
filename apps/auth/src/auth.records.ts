import type { ConsumedRecord } from '#herald/bus';
import {
  commandReceivedV1,
  ContractError,
  registerRequestedV1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_REGISTER_REQUESTED_V1,
} from '#herald/contracts';
import { metrics } from '@opentelemetry/api';
import type { AuthServices } from './auth.services';

/** A record of a topic auth did not subscribe to: a wiring bug, never skipped silently. */
export class UnexpectedTopicError extends Error {
  readonly code = 'AUTH_UNEXPECTED_TOPIC';
}

type Dispatch = (services: AuthServices, value: Buffer) => () => Promise<void>;

/** Decoding per topic (throws ContractError), returning the domain call. */
const DISPATCH: Readonly<Record<string, Dispatch>> = {
  [SIP_REGISTER_REQUESTED_V1]: (services, value) => {
    const request = registerRequestedV1.decode(value);
    return () => services.registrar.register(request);
  },
  [SIP_COMMAND_RECEIVED_V1]: (services, value) => {
    const command = commandReceivedV1.decode(value);
    return () => services.commands.handle(command);
  },
};

export const AUTH_TOPICS: readonly string[] = Object.keys(DISPATCH);

export interface RecordLogger {
  error(message: string): void;
}

/**
 * The thin Kafka side of auth, without NestJS: decode with the contract, await the domain, never
 * swallow. Only a record that breaks its contract is skipped (logged and counted).
 */
export class AuthRecordHandler {
  private readonly rejectedRecords = metrics
    .getMeter('herald-auth')
    .createCounter('herald.consumer.rejected_records', {
      description: 'Records skipped because they do not satisfy their contract',
    });

  constructor(
    private readonly services: AuthServices,
    private readonly logger: RecordLogger,
  ) {}

  /** Resolves once the record's effects are committed and published; throws to have it retried. */
  async handle(record: ConsumedRecord): Promise<void> {
    const dispatch = DISPATCH[record.topic];
    if (dispatch === undefined) {
      throw new UnexpectedTopicError(`auth does not consume ${record.topic}`);
    }
    let process: () => Promise<void>;
    try {
      process = dispatch(this.services, record.value);
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
