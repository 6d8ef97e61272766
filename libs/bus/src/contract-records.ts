import { ContractError } from '#herald/contracts';
import { metrics } from '@opentelemetry/api';
import type { ConsumedRecord } from './event-bus';

/** A topic's contract, as far as a consumer needs it. */
export interface ConsumedContract<E> {
  readonly topic: string;
  /** Parses and validates; throws ContractError for a record that breaks the contract. */
  decode(value: Buffer): E;
}

/** How a route's records are handed to the service: one call per event, or one per run. */
type CallShape = 'single' | 'run';

/**
 * Decodes records of one route (calling `rejected` for each one that breaks the contract, throwing
 * any other decode error) and returns the domain call to await for the others.
 */
type DecodeThenCall<S> = (
  service: S,
  records: ReadonlyArray<ConsumedRecord>,
  shape: CallShape,
  rejected: (record: ConsumedRecord, error: ContractError) => void,
) => () => Promise<void>;

/** One consumed topic: its contract and what the service does with its events. */
export interface ContractRoute<S> {
  topic: string;
  decodeThenCall: DecodeThenCall<S>;
}

/**
 * Routes records of `contract.topic` to `single`, after decoding them with the contract; a run of
 * them (ContractRecordHandler.handleRun) goes to `run` in one call when given, else to `single`
 * for each event in order.
 */
export function route<S, E>(
  contract: ConsumedContract<E>,
  single: (service: S, event: E) => Promise<void>,
  run?: (service: S, events: ReadonlyArray<E>) => Promise<void>,
): ContractRoute<S> {
  return {
    topic: contract.topic,
    decodeThenCall: (service, records, shape, rejected) => {
      const events: E[] = [];
      for (const record of records) {
        try {
          events.push(contract.decode(record.value));
        } catch (error) {
          if (!(error instanceof ContractError)) {
            throw error;
          }
          rejected(record, error);
        }
      }
      if (shape === 'run' && run !== undefined) {
        return async () => {
          if (events.length > 0) await run(service, events);
        };
      }
      return async () => {
        for (const event of events) await single(service, event);
      };
    },
  };
}

/**
 * route() for a topic several services consume (the legacy topics of a rolling upgrade): only
 * the events `acts` accepts reach the service; the others belong to another consumer of the topic
 * and are skipped without a call.
 */
export function sharedTopicRoute<S, E>(
  contract: ConsumedContract<E>,
  acts: (event: E) => boolean,
  single: (service: S, event: E) => Promise<void>,
  run?: (service: S, events: ReadonlyArray<E>) => Promise<void>,
): ContractRoute<S> {
  const runOwn =
    run &&
    ((service: S, events: ReadonlyArray<E>) => {
      const own = events.filter(acts);
      return own.length > 0 ? run(service, own) : Promise.resolve();
    });
  return route(
    contract,
    (service: S, event: E) => (acts(event) ? single(service, event) : Promise.resolve()),
    runOwn,
  );
}

/** The fields of a skipped record's line: its stable code, the contract's reason, where it was. */
export interface SkippedRecordFields {
  code: 'RECORD_SKIPPED';
  reason: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Where skipped records are logged (a pino logger fits). */
export interface RecordLogger {
  error(fields: SkippedRecordFields, message: string): void;
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
  handle(record: ConsumedRecord): Promise<void> {
    return this.decodeThenCall([record], 'single');
  }

  /**
   * Handles a run of one topic's records (Subscription.handleRun): decodes each as `handle` does
   * (skipping those that break their contract), then makes one run call of the route, or one single
   * call per event when the route has no run form. Throws to have the run retried record by record.
   */
  handleRun(records: ReadonlyArray<ConsumedRecord>): Promise<void> {
    return this.decodeThenCall(records, 'run');
  }

  private async decodeThenCall(records: ReadonlyArray<ConsumedRecord>, shape: CallShape): Promise<void> {
    const topic = records[0]?.topic;
    if (topic === undefined) {
      return;
    }
    const decodeThenCall = this.routes.get(topic);
    if (decodeThenCall === undefined) {
      throw this.options.unexpectedTopic(topic);
    }
    const call = decodeThenCall(this.options.service, records, shape, (record, error) => {
      this.options.logger.error(
        {
          code: 'RECORD_SKIPPED',
          reason: error.code,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        },
        `skipped a record that breaks its contract: ${error.message}`,
      );
      this.rejectedRecords.add(1, { topic: record.topic, code: error.code });
    });
    await call();
  }
}
