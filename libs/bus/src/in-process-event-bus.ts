import {
  BusUnavailableError,
  type BusRecord,
  type ConsumedRecord,
  type EventBus,
  type PublishOptions,
  type Subscription,
  type SubscriptionHandle,
} from './event-bus';
import { componentLogger, heraldMetrics } from '#herald/observability';
import { publishTraced } from './bus-tracing';
import { partitionKey } from './partition-key';
import {
  handleRunOrRecords,
  handlerConcurrencyOf,
  maxRunRecordsOf,
  retryingInPlace,
  type HandlerRetryOptions,
} from './handler-retry';
import { ConcurrencyLimit } from './keyed-concurrency';
import { KeyedPipeline } from './keyed-pipeline';
import { PartitionLog } from './partition-log';

/** Same as the test broker's num.partitions, so keyed ordering works the same way in both. */
export const IN_PROCESS_PARTITIONS = 4;
/** Records one group member hands to its handler at once, of distinct keys (as KafkaEventBus). */
export const IN_PROCESS_HANDLER_CONCURRENCY = 16;
/**
 * Records of one partition a group's pipeline holds added and not yet handled through: a backlog
 * (e.g. the journal replayed after a restart) is added as the handled prefix grows.
 */
const IN_PROCESS_MAX_PENDING_RECORDS = 500;
/**
 * Records one partition of a topic no consumer group is known for keeps (the latest ones), for a
 * group that subscribes later from the beginning: Kafka's size retention, on a small scale.
 */
export const IN_PROCESS_UNCONSUMED_RETENTION_RECORDS = 1_000;

/**
 * `record` and everything before it on its partition is handled by `groupId`. Called in offset
 * order per partition; the record may be dropped from the log as soon as it returns.
 */
export type GroupCommitted = (groupId: string, record: ConsumedRecord) => void;

/** The records of `topic`'s `partition` before `startOffset` were dropped. */
export type RecordsDropped = (topic: string, partition: number, startOffset: number) => void;

export interface InProcessEventBusOptions {
  partitions?: number;
  handlerRetry?: HandlerRetryOptions;
  /** Records of one member handled at the same time, over all its partitions (distinct keys). */
  handlerConcurrency?: number;
  /** Told each time a group's handled prefix of a partition grows (the journaled bus persists it). */
  onCommitted?: GroupCommitted;
  /** Told each time records are dropped from a partition (the journaled bus drops their ids). */
  onDropped?: RecordsDropped;
  /** See IN_PROCESS_UNCONSUMED_RETENTION_RECORDS. */
  unconsumedRetentionRecords?: number;
}

/**
 * The event bus of the embedded default, in memory, with Kafka's semantics: records are kept per
 * topic in partitions chosen by key (so one key stays ordered), every consumer group gets every
 * record once, partitions are shared among a group's members, a handler is awaited before its
 * offset counts as committed, and a failing handler is retried without skipping the record.
 *
 * Retention: a record is dropped once every consumer group known for its topic has committed past
 * it. A group is known for a topic from its first subscription to it (or `reserveGroup`) for the
 * life of the bus, members or not, so a group that stops holds the records it has not handled, as
 * its committed offset would in Kafka. A topic no group is known for keeps its latest
 * `unconsumedRetentionRecords` per partition. A group new to a topic starts, from the beginning,
 * at the earliest record retained (Kafka's `earliest`), or at the end with `fromBeginning: false`.
 * Offsets are absolute: dropping never renumbers.
 */
export class InProcessEventBus implements EventBus {
  private readonly partitionCount: number;
  private readonly handlerRetry: HandlerRetryOptions;
  private readonly handlerConcurrency: number;
  private readonly onCommitted: GroupCommitted | undefined;
  private readonly onDropped: RecordsDropped | undefined;
  private readonly unconsumedRetentionRecords: number;
  private readonly topics = new Map<string, Array<PartitionLog<ConsumedRecord>>>();
  private readonly groups = new Map<string, InProcessConsumerGroup>();
  /** The groups known for each topic: retention waits for all of them. */
  private readonly topicGroups = new Map<string, Set<InProcessConsumerGroup>>();
  private closed = false;

  constructor(options: InProcessEventBusOptions = {}) {
    this.partitionCount = options.partitions ?? IN_PROCESS_PARTITIONS;
    this.handlerRetry = options.handlerRetry ?? {};
    this.handlerConcurrency = options.handlerConcurrency ?? IN_PROCESS_HANDLER_CONCURRENCY;
    this.onCommitted = options.onCommitted;
    this.onDropped = options.onDropped;
    this.unconsumedRetentionRecords =
      options.unconsumedRetentionRecords ?? IN_PROCESS_UNCONSUMED_RETENTION_RECORDS;
  }

  async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    if (this.closed) {
      throw new BusUnavailableError('the in-process bus is closed');
    }
    await publishTraced('in-process', records, (traced) => this.append(traced));
  }

  private async append(records: ReadonlyArray<BusRecord>): Promise<void> {
    const touched = new Set<string>();
    for (const record of records) {
      const partitions = this.topicPartitions(record.topic);
      const partition = partitionForKey(record.key, this.partitionCount);
      const log = partitions[partition]!;
      log.append({
        topic: record.topic,
        key: record.key,
        value: unpooledCopy(record.value),
        headers: { ...record.headers },
        partition,
        offset: String(log.endOffset),
      });
      touched.add(record.topic);
    }
    for (const topic of touched) {
      if (this.topicGroups.get(topic) === undefined) {
        this.topicPartitions(topic).forEach((log, partition) =>
          this.dropBefore(topic, partition, log.endOffset - this.unconsumedRetentionRecords),
        );
      }
    }
    for (const group of this.groups.values()) {
      group.recordsAppended(touched);
    }
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    if (this.closed) {
      throw new BusUnavailableError('the in-process bus is closed');
    }
    // Checked before the group is known, so an invalid subscription holds no records.
    const maxRunRecords = maxRunRecordsOf(subscription);
    heraldMetrics().consumingTopics(subscription.topics);
    const handlerConcurrency = handlerConcurrencyOf(subscription, this.handlerConcurrency);
    const group = this.knownGroup(subscription.groupId, subscription.topics, subscription.fromBeginning);
    const member = group.join(subscription, maxRunRecords, handlerConcurrency);
    return { stop: () => group.leave(member) };
  }

  /** True once some consumer group is known for `topic` (it subscribed, or was reserved). */
  isConsumed(topic: string): boolean {
    return this.topicGroups.has(topic);
  }

  /** The offset the next record of each partition of `topics` gets, keyed `topic/partition`. */
  endOffsets(topics: ReadonlyArray<string>): Map<string, number> {
    const ends = new Map<string, number>();
    for (const topic of topics) {
      (this.topics.get(topic) ?? []).forEach((log, partition) =>
        ends.set(partitionKey(topic, partition), log.endOffset),
      );
    }
    return ends;
  }

  /** Records of `topic` held in memory now, over all its partitions. */
  retainedRecords(topic: string): number {
    return (this.topics.get(topic) ?? []).reduce((sum, log) => sum + log.size, 0);
  }

  /**
   * Makes `groupId` known for `topics` before it subscribes, from the records retained now:
   * retention keeps them until it has handled them (the journaled bus does this on start for the
   * groups its journal knows, before it loads the records they have not handled).
   */
  reserveGroup(groupId: string, topics: ReadonlyArray<string>): void {
    this.knownGroup(groupId, topics, true);
  }

  private knownGroup(
    groupId: string,
    topics: ReadonlyArray<string>,
    fromBeginning: boolean | undefined,
  ): InProcessConsumerGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new InProcessConsumerGroup(groupId, (topic) => this.topicPartitions(topic), {
        partitionCount: this.partitionCount,
        handlerRetry: this.handlerRetry,
        onCommitted: this.onCommitted,
        onCommittedPast: (topic, partition) => this.dropHandled(topic, partition),
      });
      this.groups.set(groupId, group);
    }
    group.track(topics, fromBeginning);
    for (const topic of topics) {
      let known = this.topicGroups.get(topic);
      if (known === undefined) {
        known = new Set();
        this.topicGroups.set(topic, known);
      }
      known.add(group);
    }
    return group;
  }

  /** Drops the records of a partition every group known for its topic has committed past. */
  private dropHandled(topic: string, partition: number): void {
    let handledBefore = Infinity;
    for (const group of this.topicGroups.get(topic) ?? []) {
      handledBefore = Math.min(handledBefore, group.committedOffset(topic, partition));
    }
    this.dropBefore(topic, partition, handledBefore);
  }

  private dropBefore(topic: string, partition: number, offset: number): void {
    const log = this.topicPartitions(topic)[partition]!;
    const startOffset = log.startOffset;
    log.dropBefore(offset);
    if (log.startOffset > startOffset) {
      this.onDropped?.(topic, partition, log.startOffset);
    }
  }

  async ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    for (const topic of topics) {
      this.topicPartitions(topic);
    }
  }

  /** Stops consumers after their handler in progress (which may still publish), then refuses publishes. */
  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].map((group) => group.leaveAll()));
    this.closed = true;
  }

  private topicPartitions(topic: string): Array<PartitionLog<ConsumedRecord>> {
    let partitions = this.topics.get(topic);
    if (partitions === undefined) {
      partitions = Array.from({ length: this.partitionCount }, () => new PartitionLog<ConsumedRecord>());
      this.topics.set(topic, partitions);
    }
    return partitions;
  }
}

interface GroupMember {
  subscription: Subscription;
  maxRunRecords: number;
  abort: AbortController;
  /** The pipelines of the partitions this member owns or owned: leaving waits for their runs. */
  pipelines: Set<KeyedPipeline<ConsumedRecord>>;
  handlers: ConcurrencyLimit;
}

interface GroupSettings {
  partitionCount: number;
  handlerRetry: HandlerRetryOptions;
  onCommitted: GroupCommitted | undefined;
  /** Told after the group's committed offset on a partition moved (the bus may drop records). */
  onCommittedPast: (topic: string, partition: number) => void;
}

/** A partition of a group, handled by the member that owns it now. */
interface PartitionConsumer {
  topic: string;
  partition: number;
  owner: GroupMember;
  pipeline: KeyedPipeline<ConsumedRecord>;
  /** Offset of the next record of the log to add to the pipeline. */
  nextOffset: number;
  /** Set once the partition moved to another member (or its run failed): no run starts any more. */
  revoked: boolean;
}

/**
 * One consumer group: a committed position per topic-partition and, per partition, a pipeline
 * (KeyedPipeline) under the member that owns it now (members share partitions round-robin, as
 * Kafka's assignors do). An appended record is added to its partition's pipeline at once and
 * starts as soon as its key is free (distinct keys concurrently, a key's records in order), and the
 * position moves over the contiguous prefix handled. A partition that changes owner starts under
 * the new one from the committed position once the old pipeline's runs finished, so a key never
 * runs in two members at once.
 */
class InProcessConsumerGroup {
  private members: GroupMember[] = [];
  private readonly committed = new Map<string, number>();
  private readonly consumers = new Map<string, PartitionConsumer>();
  /** Partitions whose revoked pipeline still has runs in progress: none starts until they end. */
  private readonly revoking = new Set<string>();

  constructor(
    private readonly groupId: string,
    private readonly partitionsOf: (topic: string) => Array<PartitionLog<ConsumedRecord>>,
    private readonly settings: GroupSettings,
  ) {}

  /** Gives the group a committed offset on every partition of `topics` it has none on yet. */
  track(topics: ReadonlyArray<string>, fromBeginning: boolean | undefined): void {
    for (const topic of topics) {
      this.partitionsOf(topic).forEach((log, partition) => {
        const key = partitionKey(topic, partition);
        if (!this.committed.has(key)) {
          // Like Kafka's auto.offset.reset: earliest, or what exists now is never delivered.
          this.committed.set(key, fromBeginning === false ? log.endOffset : log.startOffset);
        }
      });
    }
  }

  /** Offset of the first record of the partition the group has not handled. */
  committedOffset(topic: string, partition: number): number {
    const committed = this.committed.get(partitionKey(topic, partition));
    if (committed === undefined) {
      throw new InProcessGroupUnknownError(`group ${this.groupId} is not known for ${topic}/${partition}`);
    }
    return committed;
  }

  join(subscription: Subscription, maxRunRecords: number, handlerConcurrency: number): GroupMember {
    const member: GroupMember = {
      subscription,
      maxRunRecords,
      abort: new AbortController(),
      pipelines: new Set(),
      handlers: new ConcurrencyLimit(handlerConcurrency),
    };
    this.members.push(member);
    this.rebalance();
    return member;
  }

  async leave(member: GroupMember): Promise<void> {
    if (!this.members.includes(member)) {
      return;
    }
    this.members = this.members.filter((other) => other !== member);
    member.abort.abort();
    for (const [key, consumer] of this.consumers) {
      if (consumer.owner === member) this.revoke(key, consumer);
    }
    await Promise.all([...member.pipelines].map((pipeline) => pipeline.idle()));
    this.rebalance();
  }

  async leaveAll(): Promise<void> {
    await Promise.all([...this.members].map((member) => this.leave(member)));
  }

  recordsAppended(topics: ReadonlySet<string>): void {
    for (const topic of topics) {
      for (let partition = 0; partition < this.settings.partitionCount; partition += 1) {
        this.feed(topic, partition);
      }
    }
  }

  private rebalance(): void {
    const topics = new Set(this.members.flatMap((member) => member.subscription.topics));
    this.recordsAppended(topics);
  }

  private ownerOf(topic: string, partition: number): GroupMember | undefined {
    const candidates = this.members.filter((member) => member.subscription.topics.includes(topic));
    return candidates.length === 0 ? undefined : candidates[partition % candidates.length];
  }

  /**
   * Adds the partition's records not added yet (up to IN_PROCESS_MAX_PENDING_RECORDS waiting) to
   * the pipeline of its owner, starting one from the committed offset when there is none, or
   * revokes the pipeline of a member that no longer owns the partition.
   */
  private feed(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    if (this.revoking.has(key)) {
      // Fed again once the revoked pipeline is idle.
      return;
    }
    const owner = this.ownerOf(topic, partition);
    let consumer = this.consumers.get(key);
    if (consumer !== undefined && consumer.owner !== owner) {
      this.revoke(key, consumer);
      return;
    }
    if (owner === undefined) {
      return;
    }
    consumer ??= this.startConsumer(key, topic, partition, owner);
    const log = this.partitionsOf(topic)[partition]!;
    const room = IN_PROCESS_MAX_PENDING_RECORDS - consumer.pipeline.pending;
    const end = Math.min(log.endOffset, consumer.nextOffset + room);
    if (consumer.nextOffset < end) {
      const records = log.slice(consumer.nextOffset, end);
      consumer.nextOffset = end;
      consumer.pipeline.add(records);
    }
  }

  private startConsumer(
    key: string,
    topic: string,
    partition: number,
    owner: GroupMember,
  ): PartitionConsumer {
    const { signal } = owner.abort;
    const handling = retryingInPlace(owner.subscription, signal, this.settings.handlerRetry);
    const consumer: PartitionConsumer = {
      topic,
      partition,
      owner,
      nextOffset: this.committedOffset(topic, partition),
      revoked: false,
      pipeline: new KeyedPipeline<ConsumedRecord>({
        keyOf: (record) => record.key,
        limit: owner.handlers,
        maxRunRecords: owner.maxRunRecords,
        shouldStop: () => signal.aborted || consumer.revoked,
        handle: (run, onHandled) => handleRunOrRecords(run, handling, onHandled),
        // The old owner's handled prefix still counts: the new owner starts only after it is idle.
        onHandledThrough: (record) => this.handledThrough(consumer, record),
        onUnexpectedError: (error) => {
          componentLogger('Bus').error(
            { code: 'BUS_CONSUMER_STOPPED', groupId: this.groupId, partition: key, err: error },
            'a run of the in-process consumer of a partition failed; it starts again from its committed offset with the next record appended',
          );
          this.revoke(key, consumer, false);
        },
      }),
    };
    owner.pipelines.add(consumer.pipeline);
    this.consumers.set(key, consumer);
    return consumer;
  }

  private handledThrough(consumer: PartitionConsumer, record: ConsumedRecord): void {
    const { topic, partition } = consumer;
    this.committed.set(partitionKey(topic, partition), Number(record.offset) + 1);
    this.settings.onCommitted?.(this.groupId, record);
    // After onCommitted, which may still need the record's place in the log.
    this.settings.onCommittedPast(topic, partition);
    if (!consumer.revoked) this.feed(topic, partition);
  }

  /**
   * Stops the partition's pipeline; the partition starts again from its committed offset (under
   * its owner) once it is idle, or with the next record appended.
   */
  private revoke(key: string, consumer: PartitionConsumer, feedWhenIdle = true): void {
    consumer.revoked = true;
    this.consumers.delete(key);
    this.revoking.add(key);
    void consumer.pipeline.idle().then(() => {
      consumer.owner.pipelines.delete(consumer.pipeline);
      this.revoking.delete(key);
      if (feedWhenIdle) this.feed(consumer.topic, consumer.partition);
    });
  }
}

/**
 * A copy with its own memory: Buffer.from would slice Node's shared 8 KB pool, and one retained
 * record would keep its whole slab (and the dropped records' bytes in it) alive.
 */
function unpooledCopy(value: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}

/** A group was asked about a partition it was never made known for (a bug). */
export class InProcessGroupUnknownError extends Error {
  readonly code = 'BUS_IN_PROCESS_GROUP_UNKNOWN';
  constructor(message: string) {
    super(message);
    this.name = 'InProcessGroupUnknownError';
  }
}

/** FNV-1a: a stable spread of keys over partitions (which one does not matter, only stability). */
export function partitionForKey(key: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}
