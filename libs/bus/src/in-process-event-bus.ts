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
import { handleWithRetry, type HandlerRetryOptions } from './handler-retry';
import { ConcurrencyLimit, handleKeysConcurrently } from './keyed-concurrency';

/** Same as the test broker's num.partitions, so keyed ordering works the same way in both. */
export const IN_PROCESS_PARTITIONS = 4;
/** Records one group member hands to its handler at once, of distinct keys (as KafkaEventBus). */
export const IN_PROCESS_HANDLER_CONCURRENCY = 16;
/** Records of one partition a drain takes at a time (the rest waits for the next round). */
const IN_PROCESS_DRAIN_BATCH_RECORDS = 500;

/** `record` and everything before it on its partition is handled by `groupId`. */
export type GroupCommitted = (groupId: string, record: ConsumedRecord) => Promise<void>;

export interface InProcessEventBusOptions {
  partitions?: number;
  handlerRetry?: HandlerRetryOptions;
  /** Records of one member handled at the same time, over all its partitions (distinct keys). */
  handlerConcurrency?: number;
  /** Told each time a group's handled prefix of a partition grows (the journaled bus persists it). */
  onCommitted?: GroupCommitted;
}

/**
 * The event bus of the embedded default, in memory, with Kafka's semantics: records are kept per
 * topic in partitions chosen by key (so one key stays ordered), every consumer group gets every
 * record once, partitions are shared among a group's members, a handler is awaited before its
 * offset counts as committed, and a failing handler is retried without skipping the record.
 * Records are kept for the life of the process (the embedded default is one process).
 */
export class InProcessEventBus implements EventBus {
  private readonly partitionCount: number;
  private readonly handlerRetry: HandlerRetryOptions;
  private readonly handlerConcurrency: number;
  private readonly onCommitted: GroupCommitted | undefined;
  private readonly topics = new Map<string, ConsumedRecord[][]>();
  private readonly groups = new Map<string, InProcessConsumerGroup>();
  private closed = false;

  constructor(options: InProcessEventBusOptions = {}) {
    this.partitionCount = options.partitions ?? IN_PROCESS_PARTITIONS;
    this.handlerRetry = options.handlerRetry ?? {};
    this.handlerConcurrency = options.handlerConcurrency ?? IN_PROCESS_HANDLER_CONCURRENCY;
    this.onCommitted = options.onCommitted;
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
      log.push({
        topic: record.topic,
        key: record.key,
        value: Buffer.from(record.value),
        headers: { ...record.headers },
        partition,
        offset: String(log.length),
      });
      touched.add(record.topic);
    }
    for (const group of this.groups.values()) {
      group.recordsAppended(touched);
    }
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    if (this.closed) {
      throw new BusUnavailableError('the in-process bus is closed');
    }
    let group = this.groups.get(subscription.groupId);
    if (group === undefined) {
      group = new InProcessConsumerGroup(subscription.groupId, (topic) => this.topicPartitions(topic), {
        partitionCount: this.partitionCount,
        handlerRetry: this.handlerRetry,
        handlerConcurrency: this.handlerConcurrency,
        onCommitted: this.onCommitted,
      });
      this.groups.set(subscription.groupId, group);
    }
    const member = group.join(subscription);
    const joined = group;
    return { stop: () => joined.leave(member) };
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

  private topicPartitions(topic: string): ConsumedRecord[][] {
    let partitions = this.topics.get(topic);
    if (partitions === undefined) {
      partitions = Array.from({ length: this.partitionCount }, () => []);
      this.topics.set(topic, partitions);
    }
    return partitions;
  }
}

interface GroupMember {
  subscription: Subscription;
  abort: AbortController;
  /** Batches being handled for this member: leaving waits for their handlers and commits. */
  inFlight: Set<Promise<void>>;
  handlers: ConcurrencyLimit;
}

interface GroupSettings {
  partitionCount: number;
  handlerRetry: HandlerRetryOptions;
  handlerConcurrency: number;
  onCommitted: GroupCommitted | undefined;
}

/**
 * One consumer group: a committed position per topic-partition and at most one drain loop per
 * topic-partition, which hands the records after that position to the member that owns the
 * partition now (members share partitions round-robin, as Kafka's assignors do), distinct keys
 * concurrently, and moves the position over the contiguous prefix handled.
 */
class InProcessConsumerGroup {
  private members: GroupMember[] = [];
  private readonly committed = new Map<string, number>();
  private readonly draining = new Set<string>();

  constructor(
    private readonly groupId: string,
    private readonly partitionsOf: (topic: string) => ConsumedRecord[][],
    private readonly settings: GroupSettings,
  ) {}

  join(subscription: Subscription): GroupMember {
    const member: GroupMember = {
      subscription,
      abort: new AbortController(),
      inFlight: new Set(),
      handlers: new ConcurrencyLimit(this.settings.handlerConcurrency),
    };
    for (const topic of subscription.topics) {
      const partitions = this.partitionsOf(topic);
      partitions.forEach((log, partition) => {
        const key = partitionKey(topic, partition);
        if (!this.committed.has(key)) {
          // Like Kafka's auto.offset.reset: earliest, or what exists now is never delivered.
          this.committed.set(key, subscription.fromBeginning === false ? log.length : 0);
        }
      });
    }
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
    await Promise.allSettled([...member.inFlight]);
    this.rebalance();
  }

  async leaveAll(): Promise<void> {
    await Promise.all([...this.members].map((member) => this.leave(member)));
  }

  recordsAppended(topics: ReadonlySet<string>): void {
    for (const topic of topics) {
      for (let partition = 0; partition < this.settings.partitionCount; partition += 1) {
        this.startDraining(topic, partition);
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

  private startDraining(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    if (this.draining.has(key)) {
      return;
    }
    this.draining.add(key);
    this.drain(topic, partition, key).catch((error: unknown) => {
      this.draining.delete(key);
      console.error(`herald bus: the in-process consumer of ${key} stopped`, error);
    });
  }

  /** Leaves `draining` synchronously with its last check, so an append can never be missed. */
  private async drain(topic: string, partition: number, key: string): Promise<void> {
    const log = this.partitionsOf(topic)[partition]!;
    for (;;) {
      const owner = this.ownerOf(topic, partition);
      const position = this.committed.get(key) ?? 0;
      if (owner === undefined || position >= log.length) {
        this.draining.delete(key);
        return;
      }
      const { signal } = owner.abort;
      const batch = handleKeysConcurrently({
        records: log.slice(position, position + IN_PROCESS_DRAIN_BATCH_RECORDS),
        keyOf: (record) => record.key,
        limit: owner.handlers,
        shouldStop: () => signal.aborted,
        handle: (record) =>
          handleWithRetry(record, owner.subscription.handler, signal, this.settings.handlerRetry),
        onHandledThrough: async (record) => {
          this.committed.set(key, Number(record.offset) + 1);
          await this.settings.onCommitted?.(this.groupId, record);
        },
      });
      owner.inFlight.add(batch);
      try {
        await batch;
      } finally {
        owner.inFlight.delete(batch);
      }
    }
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** FNV-1a: a stable spread of keys over partitions (which one does not matter, only stability). */
export function partitionForKey(key: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}
