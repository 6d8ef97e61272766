import {
  CompressionTypes,
  type Admin,
  type Kafka,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import { heraldMetrics } from '#herald/observability';
import {
  BusUnavailableError,
  type BusRecord,
  type ConsumedRecord,
  type EventBus,
  type PublishOptions,
  type Subscription,
  type SubscriptionHandle,
} from './event-bus';
import { publishTraced } from './bus-tracing';
import { observeConsumerLag, type ConsumerLag, type GroupOffsetsReader } from './consumer-lag';
import {
  handleRunOrRecords,
  handlerConcurrencyOf,
  maxRunRecordsOf,
  retryingInPlace,
  type HandlerRetryOptions,
} from './handler-retry';
import { KafkaOffsetCommits, type OffsetCommitter } from './kafka-offset-commits';
import { ConcurrencyLimit } from './keyed-concurrency';
import { KeyedPipeline } from './keyed-pipeline';
import { SerialBatcher } from './serial-batcher';
import { ProduceLinger } from './produce-linger';
import { HeraldPartitioner } from './kafka-partitioner';
import { KafkaPartitionIntake } from './kafka-partition-intake';
import { KafkaStartPin } from './kafka-start-pin';
import { partitionKey } from './partition-key';
import { FetchPacing } from './fetch-pacing';
import { createMissingTopics } from './kafka-topic-creation';
import { producerStateLost } from './producer-state';
import { KAFKAJS_LOG_LEVELS, kafkaLogCreator, kafkaLogger, type BusLogLevel } from './kafka-log';
import { kafkaSecurityClientOptions, type KafkaSecurityOptions } from './kafka-client-options';
import { createKafkaClient } from './kafkajs-request-queue';

/** How long a publish may take before the edge gives up and answers 503. */
export const KAFKA_PUBLISH_TIMEOUT_MS = 3_000;
/** How long subscribe waits for the consumer to join its group and get partitions. */
export const KAFKA_JOIN_TIMEOUT_MS = 30_000;
/** TCP connect timeout per broker: loopback or in-cluster, so a slow connect means trouble. */
export const KAFKA_CONNECTION_TIMEOUT_MS = 1_000;
/**
 * Longest an idle fetch waits on the broker. Stopping a consumer waits for its fetch, so this
 * bounds shutdown; records still arrive at once (the broker answers as soon as it has one).
 */
export const KAFKA_FETCH_MAX_WAIT_MS = 500;
/**
 * A consumer silent this long leaves its group and its partitions move to a survivor (kafkajs'
 * default of 30 s makes failover slow); heartbeats go at a third of it, as Kafka advises.
 */
export const KAFKA_SESSION_TIMEOUT_MS = 10_000;
export const KAFKA_HEARTBEAT_INTERVAL_MS = 3_000;
/**
 * Records one consumer hands to its handler at once, of distinct keys (one key stays in order):
 * lets PostgreSQL group-commit and Kafka pipeline instead of one record per round trip.
 */
export const KAFKA_HANDLER_CONCURRENCY = 16;
/**
 * Partitions of one consumer whose batches are handled at the same time (kafkajs' default is 1,
 * which serializes a consumer's partitions); the handler concurrency bounds the records anyway.
 */
export const KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY = 8;
/**
 * Records one consumer holds fetched and not yet handled (its pipelines): past this many, it
 * fetches again only once some are handled, so a backlog or a stuck key cannot fill the memory.
 */
export const KAFKA_MAX_PENDING_RECORDS = 4_096;
/**
 * Least time between the starts of two offset commits of one consumer (KafkaOffsetCommits,
 * HERALD_KAFKA_COMMIT_INTERVAL_MS): bounds them to one per second, while a crash or a rebalance
 * redoes at most this much more handled work (handlers are idempotent). Each OffsetCommit costs the
 * broker as much as a produce; at 100 ms they were 6-16 % of the requests per IM at 750/s.
 */
export const KAFKA_COMMIT_INTERVAL_MS = 1_000;
/**
 * Longest a consumer holding runs in progress waits before it fetches again (FetchPacing), after
 * a group of its handler ended or the wait began: bounds the delay of other keys while one key's
 * record is retried.
 */
export const KAFKA_FETCH_PACE_MAX_MS = 20;

export interface KafkaEventBusOptions {
  brokers: ReadonlyArray<string>;
  clientId: string;
  /** TLS and SASL towards the brokers (KAFKA_SSL*, KAFKA_SASL_*); default plaintext. */
  security?: KafkaSecurityOptions;
  publishTimeoutMs?: number;
  joinTimeoutMs?: number;
  /** Partitions of one consumer handled at the same time (each key stays in order). */
  partitionsConsumedConcurrently?: number;
  /** Records of one consumer handled at the same time, over all its partitions (distinct keys). */
  handlerConcurrency?: number;
  /** Consumer group session timeout: how soon a dead consumer's partitions fail over. */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval; below sessionTimeoutMs (a third of it or less). */
  heartbeatIntervalMs?: number;
  handlerRetry?: HandlerRetryOptions;
  /** kafkajs' log level (KAFKA_LOG_LEVEL); default warn. */
  logLevel?: BusLogLevel;
  /** Where kafkajs' entries go; default a pino logger named kafkajs at logLevel. */
  logger?: Logger;
  /**
   * Whether ensureTopics creates missing topics (HERALD_KAFKA_CREATE_TOPICS, default true). When
   * false it only checks that they exist and fails with KAFKA_TOPICS_MISSING: where ACLs grant no
   * Create (Strimzi), the topics are made ahead.
   */
  createTopics?: boolean;
  /** How often each consumer reads its group's lag from the broker (default CONSUMER_LAG_REFRESH_MS). */
  lagRefreshMs?: number;
  /**
   * Topics whose publishes may wait up to lingerMs for others to share their produce
   * (HERALD_KAFKA_LINGER_MS): those whose publisher can afford the wait, e.g. the edge's REGISTER
   * requests at high rates. A publish naming any other topic goes at once and takes them along.
   */
  lingerTopics?: ReadonlyArray<string>;
  /** Longest a publish of lingerTopics waits before its produce starts; 0 (default) none. */
  lingerMs?: number;
  /** Least time between two offset commits of one consumer (default KAFKA_COMMIT_INTERVAL_MS). */
  commitIntervalMs?: number;
  /**
   * Least time between the starts of two produces while publishes keep coming
   * (HERALD_KAFKA_PRODUCE_INTERVAL_MS): under load fewer, larger produces; a publish after an idle
   * moment goes at once. 0 (default): the next produce starts when the one in flight is acknowledged.
   */
  produceIntervalMs?: number;
}

/** ensureTopics without createTopics found topics missing: they must be created ahead. */
export class KafkaTopicsMissingError extends Error {
  readonly code = 'KAFKA_TOPICS_MISSING';
  constructor(readonly missing: ReadonlyArray<string>) {
    super(
      `Kafka topics missing: ${missing.join(', ')}; create them first (deploy/helm/herald/README.md, ` +
        'Topics) or set HERALD_KAFKA_CREATE_TOPICS=true where the client may create topics',
    );
    this.name = 'KafkaTopicsMissingError';
  }
}

/** A partition of a consumer: its records in the pipeline, until handled or the partition is revoked. */
interface ConsumedPartition {
  topic: string;
  partition: number;
  pipeline: KeyedPipeline<ConsumedRecord>;
  /** The highest offset added to the pipeline: a fetch after a rejoin repeats records from the committed offset. */
  addedThrough: bigint;
  /** Aborted when the partition is revoked: its runs stop and it commits no more. */
  revoked: AbortController;
  /** Records the intake took (from the edge link) and not yet handled: each told whether it was. */
  taken: Map<ConsumedRecord, (handled: boolean) => void>;
  /** Per taken record, addedThrough when it was taken: handling it through commits up to there. */
  takenAfter: WeakMap<ConsumedRecord, bigint>;
}

interface ActiveConsumer {
  consumer: Consumer;
  abort: AbortController;
  lag: ConsumerLag;
  handlers: ConcurrencyLimit;
  commits: KafkaOffsetCommits;
  partitions: Map<string, ConsumedPartition>;
  /** The latest batch's committer: a consumer restarted after a crash has a new consumer group object. */
  committer: OffsetCommitter | undefined;
  pacing: FetchPacing;
  intake: KafkaPartitionIntake;
}

type KafkaMessages = Array<{ key: string; value: Buffer; headers: Record<string, string> }>;

/**
 * The production event bus on Apache Kafka (kafkajs): an idempotent producer with acks=-1 whose
 * publish resolves only after the acknowledgement, and consumers that await the handler before
 * resolving (and so committing) each offset, retrying a failing handler without skipping.
 */
export class KafkaEventBus implements EventBus {
  /** The producer's and the admin's client: a request unanswered after the publish timeout fails. */
  private readonly kafka: Kafka;
  /** The consumers' client: a request may wait on the broker up to the session timeout. */
  private readonly consumerKafka: Kafka;
  /** Replaced when the broker lost its state (producerStateLost), never otherwise. */
  private producer: Producer;
  private readonly publishTimeoutMs: number;
  private readonly joinTimeoutMs: number;
  private readonly partitionsConsumedConcurrently: number;
  private readonly handlerConcurrency: number;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly handlerRetry: HandlerRetryOptions;
  private readonly consumers = new Set<ActiveConsumer>();
  private readonly logger: Logger;
  private producerConnection: Promise<void> | undefined;
  /** One admin connection for the readiness probe and the consumers' lag readings. */
  private sharedAdmin: Admin | undefined;
  private readonly createTopics: boolean;
  private readonly lagRefreshMs: number | undefined;
  private readonly commitIntervalMs: number;
  private closed = false;
  /** The publishes of one event loop turn (and those waiting for the send in flight) go as one sendBatch. */
  private readonly outgoing: SerialBatcher<ReadonlyArray<BusRecord>>;
  /** Publishes of lingerTopics held for the next produce (ProduceLinger); none when lingerMs is 0. */
  private readonly lingering: ProduceLinger<ReadonlyArray<BusRecord>> | undefined;
  private readonly lingerTopics: ReadonlySet<string>;

  constructor(options: KafkaEventBusOptions) {
    this.publishTimeoutMs = options.publishTimeoutMs ?? KAFKA_PUBLISH_TIMEOUT_MS;
    this.joinTimeoutMs = options.joinTimeoutMs ?? KAFKA_JOIN_TIMEOUT_MS;
    this.partitionsConsumedConcurrently =
      options.partitionsConsumedConcurrently ?? KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY;
    this.handlerConcurrency = options.handlerConcurrency ?? KAFKA_HANDLER_CONCURRENCY;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? KAFKA_SESSION_TIMEOUT_MS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? KAFKA_HEARTBEAT_INTERVAL_MS;
    this.handlerRetry = options.handlerRetry ?? {};
    this.createTopics = options.createTopics ?? true;
    this.lagRefreshMs = options.lagRefreshMs;
    this.commitIntervalMs = options.commitIntervalMs ?? KAFKA_COMMIT_INTERVAL_MS;
    const logLevel = options.logLevel ?? 'warn';
    this.logger = options.logger ?? kafkaLogger(logLevel);
    const client = {
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
      logLevel: KAFKAJS_LOG_LEVELS[logLevel],
      logCreator: kafkaLogCreator(this.logger),
      ...kafkaSecurityClientOptions(options.security),
    };
    this.kafka = createKafkaClient({ ...client, requestTimeout: this.publishTimeoutMs });
    // A SyncGroup is answered once the leader's assignment is stored: 3.4 s after a Kafka restart
    // under load (chaos seed 2026120707). Given up at the publish timeout, each replica rejoined
    // under a new member id, the abandoned ids held the next rebalance for a session timeout, and
    // the cycle repeated until a restarted replica missed its join deadline. A member may wait
    // as long as the broker lets it be silent: the session timeout.
    this.consumerKafka = createKafkaClient({ ...client, requestTimeout: this.sessionTimeoutMs });
    this.producer = this.newProducer();
    this.outgoing = new SerialBatcher((batches) => this.send(batches.flat()), {
      gatherTurn: true,
      minIntervalMs: options.produceIntervalMs ?? 0,
    });
    const lingerMs = options.lingerMs ?? 0;
    this.lingerTopics = new Set(lingerMs > 0 ? (options.lingerTopics ?? []) : []);
    this.lingering =
      this.lingerTopics.size > 0
        ? new ProduceLinger(lingerMs, (records) => this.outgoing.submit(records))
        : undefined;
  }

  async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    if (this.closed) {
      throw new BusUnavailableError('the Kafka bus is closed');
    }
    if (records.length === 0) {
      return;
    }
    // Each publish resolves when the sendBatch holding its records is acknowledged (acks=-1), and
    // rejects when that batch fails or its own wait exceeds the publish timeout.
    await publishTraced('kafka', records, (traced) =>
      withTimeout(this.enqueue(traced), this.publishTimeoutMs, 'publish'),
    );
  }

  /** Into the next produce: held first when every record's topic may linger, else at once with the held ones. */
  private enqueue(records: ReadonlyArray<BusRecord>): Promise<void> {
    if (this.lingering === undefined) return this.outgoing.submit(records);
    if (records.every((record) => this.lingerTopics.has(record.topic))) return this.lingering.hold(records);
    this.lingering.release();
    return this.outgoing.submit(records);
  }

  /** One produce request for the records of every publish gathered; bounded by the publish timeout. */
  private async send(records: ReadonlyArray<BusRecord>): Promise<void> {
    const byTopic = new Map<string, KafkaMessages>();
    for (const record of records) {
      const messages = byTopic.get(record.topic) ?? [];
      messages.push({ key: record.key, value: record.value, headers: { ...record.headers } });
      byTopic.set(record.topic, messages);
    }
    const send = async (): Promise<void> => {
      await this.connectProducer();
      const producer = this.producer;
      try {
        await producer.sendBatch({
          acks: -1,
          timeout: this.publishTimeoutMs,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      } catch (error) {
        if (producerStateLost(error)) this.replaceProducer(producer, error);
        throw error;
      }
    };
    await withTimeout(send(), this.publishTimeoutMs, 'publish');
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    if (this.closed) {
      throw new BusUnavailableError('the Kafka bus is closed');
    }
    const maxRunRecords = maxRunRecordsOf(subscription);
    heraldMetrics().consumingTopics(subscription.topics);
    const handlerConcurrency = handlerConcurrencyOf(subscription, this.handlerConcurrency);
    const consumer = this.consumerKafka.consumer({
      groupId: subscription.groupId,
      allowAutoTopicCreation: this.createTopics,
      maxWaitTimeInMs: KAFKA_FETCH_MAX_WAIT_MS,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
    });
    const active: ActiveConsumer = {
      consumer,
      abort: new AbortController(),
      lag: observeConsumerLag(subscription.groupId, subscription.topics, this.groupOffsetsReader(), {
        refreshMs: this.lagRefreshMs,
      }),
      handlers: new ConcurrencyLimit(handlerConcurrency),
      // A failed commit loses nothing: its records are handled again after a rebalance or restart.
      commits: new KafkaOffsetCommits(
        (error) =>
          this.logger.warn(
            { code: 'KAFKA_COMMIT_FAILED', groupId: subscription.groupId, err: error },
            'committing handled offsets failed; the next commit or a redelivery covers them',
          ),
        this.commitIntervalMs,
      ),
      partitions: new Map(),
      committer: undefined,
      pacing: new FetchPacing(KAFKA_FETCH_PACE_MAX_MS),
      intake: new KafkaPartitionIntake({
        partition: (topic, partition) =>
          takeInto(this.consumedPartition(active, topic, partition, subscription, maxRunRecords)),
        partitionCounts: (topics) => this.partitionCounts(topics),
        onCountsFailed: (error) =>
          this.logger.warn(
            { code: 'KAFKA_METADATA_FAILED', groupId: subscription.groupId, err: error },
            'reading the partition counts failed; the edge link sends this consumer no records until it joins again',
          ),
      }),
    };
    this.consumers.add(active);
    const startPin =
      subscription.fromBeginning === false
        ? new KafkaStartPin({
            groupId: subscription.groupId,
            topics: subscription.topics,
            offsets: this.groupOffsetsReader(),
            commit: (offsets) => consumer.commitOffsets(offsets),
          })
        : undefined;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      forgetRevoked(active, payload.memberAssignment);
      active.intake.joined(payload.memberAssignment);
      startPin
        ?.pin(payload.memberAssignment)
        .catch((error: unknown) =>
          this.logger.warn(
            { code: 'KAFKA_START_PIN_FAILED', groupId: subscription.groupId, err: error },
            "committing the group's start where it committed nothing failed; the next join tries again",
          ),
        );
    });
    // Before kafkajs rejoins: the partitions may go to another member, so the link stops bringing them here.
    consumer.on(consumer.events.REBALANCING, () => active.intake.released());
    const joined = new Promise<void>((resolve) => {
      const removeListener = consumer.on(consumer.events.GROUP_JOIN, () => {
        removeListener();
        resolve();
      });
    });
    try {
      await withTimeout(
        (async () => {
          await consumer.connect();
          // Before the join: where the group starts in the partitions it never committed (KafkaStartPin).
          await startPin?.capture();
          await consumer.subscribe({
            topics: [...subscription.topics],
            fromBeginning: subscription.fromBeginning ?? true,
          });
          await consumer.run({
            // Commits go through active.commits, off the fetch path (KafkaOffsetCommits).
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
            eachBatch: (payload) => this.takeBatch(payload, subscription, maxRunRecords, active),
          });
          await joined;
          await active.lag.refresh();
        })(),
        this.joinTimeoutMs,
        `joining consumer group ${subscription.groupId}`,
      );
    } catch (error) {
      await this.stopConsumer(active);
      throw error;
    }
    return { stop: () => this.stopConsumer(active), intake: active.intake };
  }

  /**
   * Resolves while the cluster answers a metadata request (readiness, /health/ready); rejects
   * with BusUnavailableError otherwise. One admin connection is kept for the probes.
   */
  async checkBroker(): Promise<void> {
    await withTimeout(
      (async () => {
        const admin = await this.connectedAdmin();
        await admin.describeCluster();
      })(),
      this.publishTimeoutMs,
      'describing the cluster',
    );
  }

  /** Each topic's partition count from the cluster's metadata, bounded by the publish timeout. */
  private partitionCounts(topics: ReadonlyArray<string>): Promise<ReadonlyMap<string, number>> {
    return withTimeout(
      (async () => {
        const admin = await this.connectedAdmin();
        const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
        return new Map(metadata.topics.map(({ name, partitions }) => [name, partitions.length]));
      })(),
      this.publishTimeoutMs,
      'fetching topic metadata',
    );
  }

  private async connectedAdmin(): Promise<Admin> {
    this.sharedAdmin ??= this.kafka.admin();
    await this.sharedAdmin.connect();
    return this.sharedAdmin;
  }

  /** The broker's offsets of a group and its topics, each request bounded by the publish timeout. */
  private groupOffsetsReader(): GroupOffsetsReader {
    return {
      committed: (groupId, topics) =>
        withTimeout(
          (async () => {
            const admin = await this.connectedAdmin();
            const offsets = await admin.fetchOffsets({ groupId, topics: [...topics] });
            return offsets.flatMap(({ topic, partitions }) =>
              partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
            );
          })(),
          this.publishTimeoutMs,
          'fetching committed offsets',
        ),
      logEnds: (topic) =>
        withTimeout(
          (async () => (await this.connectedAdmin()).fetchTopicOffsets(topic))(),
          this.publishTimeoutMs,
          'fetching topic offsets',
        ),
    };
  }

  /** Creates the missing topics (createMissingTopics: replicas may race to create them); with createTopics off, only checks that they exist. */
  async ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    const admin = this.kafka.admin();
    await withTimeout(admin.connect(), this.joinTimeoutMs, 'connecting the admin client');
    try {
      if (!this.createTopics) {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((topic) => !existing.has(topic));
        if (missing.length > 0) throw new KafkaTopicsMissingError(missing);
        return;
      }
      await createMissingTopics(admin, topics, Date.now() + this.joinTimeoutMs);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Stops the consumers after their handler in progress (which may still publish: its offset is
   * committed only if it finishes), then refuses new publishes, waits for the ones in flight to
   * be acknowledged or time out, and disconnects.
   */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((active) => this.stopConsumer(active)));
    this.closed = true;
    this.lingering?.release();
    await this.outgoing.idle();
    await this.producer.disconnect();
    await this.sharedAdmin?.disconnect();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      // kafkajs keeps one produce request per broker in flight for an idempotent producer.
      maxInFlightRequests: 1,
      // kafkajs' DefaultPartitioner's choices, with a murmur2 of a fifth of its cost per record.
      createPartitioner: HeraldPartitioner,
      // Bounded so a send abandoned after publishTimeoutMs does not retry forever behind our back.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: this.publishTimeoutMs },
    });
  }

  /**
   * A new producer (a new producer id, sequences from 0) for the next publish; the batch that
   * failed is refused to its publishers as any failed send is, and they may publish it again.
   */
  private replaceProducer(failed: Producer, error: unknown): void {
    if (this.producer !== failed) return;
    this.logger.warn(
      { code: 'BUS_PRODUCER_REPLACED', err: error },
      "the broker lost this producer's state (e.g. it crashed and recovered): publishing with a new producer",
    );
    this.producer = this.newProducer();
    this.producerConnection = undefined;
    failed
      .disconnect()
      .catch((disconnectError: unknown) =>
        this.logger.warn(
          { code: 'BUS_PRODUCER_DISCONNECT_FAILED', err: disconnectError },
          'the old producer did not disconnect',
        ),
      );
  }

  private connectProducer(): Promise<void> {
    if (this.producerConnection === undefined) {
      const connection = this.producer.connect();
      this.producerConnection = connection;
      // A failed connect is retried by the next publish instead of being remembered.
      connection.catch(() => {
        if (this.producerConnection === connection) {
          this.producerConnection = undefined;
        }
      });
    }
    return this.producerConnection;
  }

  private async stopConsumer(active: ActiveConsumer): Promise<void> {
    if (!this.consumers.delete(active)) {
      return;
    }
    active.abort.abort();
    active.intake.released();
    active.lag.stop();
    active.pacing.wake();
    // Runs in progress finish (and a record retried gives up): only handled offsets are committed.
    await Promise.all([...active.partitions.values()].map(({ pipeline }) => pipeline.idle()));
    for (const consumed of active.partitions.values()) failTaken(consumed);
    await active.commits.flush();
    await active.consumer.disconnect();
  }

  /**
   * Adds a fetched batch of one partition to the partition's pipeline (KeyedPipeline: distinct keys
   * concurrently, a key's records in runs, in order) and returns, so kafkajs fetches again at once
   * instead of after the slowest record of the fetch: a record fetched meanwhile starts as soon as
   * its key is free. The offsets are resolved in kafkajs right away (its next fetch starts past
   * them); only the contiguous prefix of handled records is committed (KafkaOffsetCommits). A
   * failing record is retried in place with backoff, holding back only its key and the commits of
   * its partition.
   */
  private async takeBatch(
    payload: EachBatchPayload,
    subscription: Subscription,
    maxRunRecords: number,
    active: ActiveConsumer,
  ): Promise<void> {
    const { batch } = payload;
    const { signal } = active.abort;
    if (signal.aborted || !payload.isRunning()) {
      return;
    }
    active.committer = payload;
    const consumed = this.consumedPartition(
      active,
      batch.topic,
      batch.partition,
      subscription,
      maxRunRecords,
    );
    const fresh: ConsumedRecord[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset > consumed.addedThrough) {
        fresh.push(toConsumedRecord(batch.topic, batch.partition, message));
        consumed.addedThrough = offset;
      }
    }
    if (fresh.length > 0) active.pacing.fetched();
    consumed.pipeline.add(fresh);
    payload.resolveOffset(batch.lastOffset());
    // Paced (FetchPacing): with runs in progress, one fetch per group of the handler, a round trip
    // before the group in progress ends, rather than one per produce.
    if (fresh.length > 0) await active.pacing.paced(signal);
    while (pendingRecords(active) >= KAFKA_MAX_PENDING_RECORDS && !signal.aborted) {
      await active.pacing.next();
      await payload.heartbeat();
    }
  }

  private consumedPartition(
    active: ActiveConsumer,
    topic: string,
    partition: number,
    subscription: Subscription,
    maxRunRecords: number,
  ): ConsumedPartition {
    const key = partitionKey(topic, partition);
    const known = active.partitions.get(key);
    if (known !== undefined) return known;
    const revoked = new AbortController();
    const signal = AbortSignal.any([active.abort.signal, revoked.signal]);
    const handling = retryingInPlace(subscription, signal, this.handlerRetry);
    const consumed: ConsumedPartition = {
      topic,
      partition,
      addedThrough: -1n,
      revoked,
      taken: new Map(),
      takenAfter: new WeakMap(),
      pipeline: new KeyedPipeline<ConsumedRecord>({
        keyOf: (record) => record.key,
        limit: active.handlers,
        maxRunRecords,
        // The two signals, not the composite one: reading a composite signal's `aborted` refreshes
        // it from its sources, about 20 times the cost, and this is read before every run.
        shouldStop: () => active.abort.signal.aborted || revoked.signal.aborted,
        handle: (run, onHandled) =>
          active.pacing.running(
            handleRunOrRecords(run, handling, (record) => {
              onHandled(record);
              consumed.taken.get(record)?.(true);
              consumed.taken.delete(record);
            }),
          ),
        onHandledThrough: (record) => {
          // A taken record has no offset: it commits the fetched records added before it.
          const through = isTaken(record) ? consumed.takenAfter.get(record)! : BigInt(record.offset);
          // A revoked partition's new owner commits it; a stopping consumer still commits its own.
          if (!revoked.signal.aborted && active.committer !== undefined && through >= 0n) {
            active.commits.handled(active.committer, topic, partition, (through + 1n).toString());
          }
          active.pacing.handled();
        },
        onUnexpectedError: (error) =>
          this.logger.error(
            { code: 'BUS_PIPELINE_FAILED', groupId: subscription.groupId, topic, partition, err: error },
            'a run of the consumer pipeline failed unexpectedly; its key stops until the partition is fetched again',
          ),
      }),
    };
    active.partitions.set(key, consumed);
    return consumed;
  }
}

function pendingRecords(active: ActiveConsumer): number {
  let pending = 0;
  for (const { pipeline } of active.partitions.values()) pending += pipeline.pending;
  return pending;
}

/** After a rebalance: the partitions no longer assigned stop their runs and commit no more. */
function forgetRevoked(active: ActiveConsumer, assignment: Partial<Record<string, number[]>>): void {
  for (const [key, consumed] of active.partitions) {
    if (assignment[consumed.topic]?.includes(consumed.partition) !== true) {
      consumed.revoked.abort();
      failTaken(consumed);
      active.partitions.delete(key);
      active.commits.forget(consumed.topic, consumed.partition);
    }
  }
}

/** A record the intake took (ConsumedRecord: the edge link's records carry partition -1). */
function isTaken(record: ConsumedRecord): boolean {
  return record.partition < 0;
}

/** The intake's way into a partition's pipeline: the record is settled when handled, or failed. */
function takeInto(consumed: ConsumedPartition): { addTaken(record: ConsumedRecord): Promise<boolean> } {
  return {
    addTaken: (record) =>
      new Promise<boolean>((resolve) => {
        if (consumed.revoked.signal.aborted) {
          resolve(false);
          return;
        }
        consumed.taken.set(record, resolve);
        consumed.takenAfter.set(record, consumed.addedThrough);
        consumed.pipeline.add([record]);
      }),
  };
}

/** The partition was revoked or its consumer stopped: the records taken and not handled were not. */
function failTaken(consumed: ConsumedPartition): void {
  for (const settle of consumed.taken.values()) settle(false);
  consumed.taken.clear();
}

function toConsumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: decodeHeaders(message.headers),
  };
}

/** Herald's headers are single strings; kafkajs hands them over as Buffers (or arrays of them). */
function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) {
      decoded[name] = last.toString();
    }
  }
  return decoded;
}

/** Settles like `work`, or rejects with BusUnavailableError after `timeoutMs`; other errors map too. */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BusUnavailableError(`Kafka: ${what} did not complete within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    if (error instanceof BusUnavailableError) {
      throw error;
    }
    throw new BusUnavailableError(`Kafka: ${what} failed: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
