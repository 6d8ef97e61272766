import { ContractError } from '#herald/contracts';
import { metrics } from '@opentelemetry/api';
import type { ConsumedRecord } from './event-bus';

/** A topic's contract, as far as a consumer needs it. */
export interface ConsumedContract<E> {
  readonly topic: string;
  /** Parses and validates; throws ContractError for a record that breaks the contract. */
  decode(value: Buffer): E;
}

/** Decodes one record (throwing ContractError) and returns the domain call to await. */
type DecodeThenCall<S> = (service: S, value: Buffer) => () => Promise<void>;

/** One consumed topic: its contract and what the service does with each event. */
export interface ContractRoute<S> {
  topic: string;
  decodeThenCall: DecodeThenCall<S>;
}

/** Routes records of `contract.topic` to `call`, after decoding them with the contract. */
export function route<S, E>(
  contract: ConsumedContract<E>,
  call: (service: S, event: E) => Promise<void>,
): ContractRoute<S> {
  return {
    topic: contract.topic,
    decodeThenCall: (service, value) => {
      const event = contract.decode(value);
      return () => call(service, event);
    },
  };
}

export interface RecordLogger {
  error(message: string): void;
}

export interface ContractRecordHandlerOptions<S> {
  /** The domain service the routes call. */
  service: S;
  routes: ReadonlyArray<ContractRoute<S>>;
  logger: RecordLogger;
  /** OpenTelemetry meter of the consuming service, e.g. `herald-im-router`. */
  meterName: string;
  /** The error for a record of a topic without a route: a wiring bug, never skipped silently. */
  unexpectedTopic: (topic: string) => Error;
}

/**
 * The thin Kafka side of a service: decode with the contract, await the domain, never swallow.
 * Only a record that breaks its contract is skipped (logged and counted in
 * `herald.consumer.rejected_records`): retrying cannot fix it, it would block the partition forever.
 */
export class ContractRecordHandler<S> {
  /** The topics the routes consume, in route order. */
  readonly topics: readonly string[];
  private readonly routes: ReadonlyMap<string, DecodeThenCall<S>>;
  private readonly rejectedRecords;

  constructor(private readonly options: ContractRecordHandlerOptions<S>) {
    this.routes = new Map(options.routes.map((r) => [r.topic, r.decodeThenCall]));
    this.topics = [...this.routes.keys()];
    this.rejectedRecords = metrics
      .getMeter(options.meterName)
      .createCounter('herald.consumer.rejected_records', {
        description: 'Records skipped because they do not satisfy their contract',
      });
  }

  /** Resolves once the record's effects are committed and published; throws to have it retried. */
  async handle(record: ConsumedRecord): Promise<void> {
    const decodeThenCall = this.routes.get(record.topic);
    if (decodeThenCall === undefined) {
      throw this.options.unexpectedTopic(record.topic);
    }
    let call: () => Promise<void>;
    try {
      call = decodeThenCall(this.options.service, record.value);
    } catch (error) {
      if (!(error instanceof ContractError)) {
        throw error;
      }
      this.options.logger.error(
        `skipped ${record.topic}[${record.partition}]@${record.offset} (${error.code}): ${error.message}`,
      );
      this.rejectedRecords.add(1, { topic: record.topic, code: error.code });
      return;
    }
    await call();
  }
}
