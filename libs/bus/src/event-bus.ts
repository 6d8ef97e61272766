/**
 * The event bus port. Two adapters implement it with the same semantics: Kafka (kafkajs,
 * idempotent producer, acks=-1) for production and an in-process bus for the embedded default.
 */

/** One record as it travels: value is the JSON-encoded event, headers carry trace context. */
export interface BusRecord {
  topic: string;
  /** Partition key: the AOR the event is about, so one user's events stay ordered. */
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Metadata of a consumed record, for logs and spans. A record that came over the edge link (not
 * from a Kafka partition) carries partition -1 and offset `link:<frameId>.<index in its frame>`.
 */
export interface ConsumedRecord extends BusRecord {
  partition: number;
  offset: string;
}

export interface PublishOptions {
  headers?: Record<string, string>;
}

export interface EventBus {
  /**
   * Publishes records and resolves only when the broker has durably acknowledged all of them
   * (Kafka: acks=-1 on the in-sync replicas). Rejects with BusUnavailableError otherwise.
   */
  publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void>;

  /**
   * Consumes `topics` in consumer group `groupId`. The handler is awaited before the record's
   * offset is committed; a handler that throws is retried (the offset is not committed), so
   * handlers must be idempotent.
   */
  subscribe(subscription: Subscription): Promise<SubscriptionHandle>;

  /** Creates topics that do not exist yet (no-op where the adapter needs none). */
  ensureTopics(topics: ReadonlyArray<string>): Promise<void>;

  /** Flushes pending publishes, stops consumers after their current handler, disconnects. */
  close(): Promise<void>;
}

/** Default largest run handed to Subscription.handleRun. */
export const BUS_MAX_RUN_RECORDS = 64;

export interface Subscription {
  groupId: string;
  topics: ReadonlyArray<string>;
  handler: (record: ConsumedRecord) => Promise<void>;
  /**
   * Optional. Handles a run: 1..maxRunRecords consecutive records of ONE key of ONE topic partition, in offset order,
   * all that are waiting for that key when its previous work finished. When given, the bus calls it instead of
   * `handler` for every run; the run's offsets are committed only after it resolves. If it throws, the bus retries
   * THAT RUN record by record through `handler` (with the usual retry/backoff), so a poison record only holds back
   * itself and its key's later records, exactly as without runs.
   */
  handleRun?: (records: ReadonlyArray<ConsumedRecord>) => Promise<void>;
  /** Largest run handed to handleRun (default BUS_MAX_RUN_RECORDS = 64). */
  maxRunRecords?: number;
  /**
   * Runs (of distinct keys) handed to the handlers at once by this subscription's consumer; default
   * the bus's handler concurrency. A handler that group-commits (GroupCommit) holds no database
   * connection while it waits for its group, so it is given more: they are what fills a group.
   */
  handlerConcurrency?: number;
  /**
   * Where a group with no committed offset starts: at the earliest retained record (true, the
   * default), or at the end of the log as its first subscription found it (false). Either way a
   * consumer that restarts resumes where the group left off, also in a partition it committed
   * nothing in yet: records published while it was away are not skipped.
   */
  fromBeginning?: boolean;
}

export interface SubscriptionHandle {
  stop(): Promise<void>;
  /** The way in for records that reach this consumer other than from its partitions (Kafka bus only). */
  intake?: PartitionIntake;
}

/** The partitions of one topic a consumer owns now, out of the topic's partitionCount. */
export interface OwnedPartitions {
  topic: string;
  partitionCount: number;
  partitions: number[];
}

/**
 * A consumer's way in for records that did not come from its partitions: the commands an edge sends
 * over the edge link to the replica that owns their key's partition. A record taken joins the
 * pipeline of that partition, behind the fetched records of its key, and is handled by the same
 * handlers, retries and group commits; it has no offset to commit.
 */
export interface PartitionIntake {
  /** What the consumer owns now: nothing while a rebalance runs, topics whose partition count is unknown left out. */
  owned(): OwnedPartitions[];
  /** Calls `listener` after every change of owned(); returns the function that removes it. */
  onOwnedChange(listener: () => void): () => void;
  /**
   * Hands records, in order, to the pipelines of their key's partitions. Resolves with how many,
   * from the first, were handled: it takes none after the first of a partition not owned, and a
   * record whose partition is revoked (or whose consumer stops) before it was handled counts as not.
   */
  take(records: ReadonlyArray<ConsumedRecord>): Promise<number>;
}

/** A subscription the bus cannot serve (e.g. maxRunRecords is not a positive integer). */
export class InvalidSubscriptionError extends Error {
  readonly code = 'BUS_INVALID_SUBSCRIPTION';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSubscriptionError';
  }
}

/** The broker could not take or acknowledge a publish: the edge answers 503 with Retry-After. */
export class BusUnavailableError extends Error {
  readonly code = 'BUS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}
