import type { ConsumedRecord, OwnedPartitions, PartitionIntake } from './event-bus';
import { partitionOfKey } from './kafka-partitioner';

/** A partition's side of the intake: adds a record to its pipeline, resolves whether it was handled. */
export interface IntakePartition {
  addTaken(record: ConsumedRecord): Promise<boolean>;
}

export interface KafkaPartitionIntakeDeps {
  /** The consumed partition `partition` of `topic` (made when none was fetched yet). */
  partition(topic: string, partition: number): IntakePartition;
  /** Each topic's partition count, from the cluster's metadata. */
  partitionCounts(topics: ReadonlyArray<string>): Promise<ReadonlyMap<string, number>>;
  /** The counts could not be read: the topics stay out of owned() until the next join. */
  onCountsFailed(error: unknown): void;
}

/**
 * The Kafka consumer's PartitionIntake: what it owns follows its group membership (a join sets
 * the assignment, a rebalance starting clears it), and a record is taken only while its key's
 * partition (partitionOfKey, as the producers choose it) is assigned. A topic is owned once its
 * partition count is known, read from the metadata at each join (adding partitions rebalances).
 */
export class KafkaPartitionIntake implements PartitionIntake {
  private assignment: ReadonlyMap<string, ReadonlySet<number>> = new Map();
  private readonly counts = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  /** Bumped at every change, so counts read for an older join are not applied to a newer one. */
  private generation = 0;

  constructor(private readonly deps: KafkaPartitionIntakeDeps) {}

  owned(): OwnedPartitions[] {
    const owned: OwnedPartitions[] = [];
    for (const [topic, partitions] of this.assignment) {
      const partitionCount = this.counts.get(topic);
      if (partitionCount !== undefined) owned.push({ topic, partitionCount, partitions: [...partitions] });
    }
    return owned;
  }

  onOwnedChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The consumer joined its group with this assignment (kafkajs' GROUP_JOIN memberAssignment). */
  joined(memberAssignment: Partial<Record<string, number[]>>): void {
    const generation = ++this.generation;
    const assignment = new Map<string, ReadonlySet<number>>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      if (partitions !== undefined && partitions.length > 0) assignment.set(topic, new Set(partitions));
    }
    this.assignment = assignment;
    // Counts read for an earlier join may be stale (adding partitions rebalances): owned again once read.
    this.counts.clear();
    this.changed();
    // Nothing assigned, nothing to read (an empty topic list would ask for every topic's metadata).
    if (assignment.size === 0) return;
    this.deps.partitionCounts([...assignment.keys()]).then(
      (counts) => {
        if (generation !== this.generation) return;
        for (const [topic, count] of counts) this.counts.set(topic, count);
        this.changed();
      },
      (error: unknown) => this.deps.onCountsFailed(error),
    );
  }

  /** A rebalance started (or the consumer stops): nothing is owned until the next join. */
  released(): void {
    this.generation += 1;
    if (this.assignment.size === 0) return;
    this.assignment = new Map();
    this.changed();
  }

  async take(records: ReadonlyArray<ConsumedRecord>): Promise<number> {
    const taken: Array<Promise<boolean>> = [];
    for (const record of records) {
      const partition = this.ownedPartitionOf(record);
      if (partition === undefined) break;
      taken.push(this.deps.partition(record.topic, partition).addTaken(record));
    }
    const handled = await Promise.all(taken);
    const first = handled.indexOf(false);
    return first < 0 ? handled.length : first;
  }

  private ownedPartitionOf(record: ConsumedRecord): number | undefined {
    const partitions = this.assignment.get(record.topic);
    const count = this.counts.get(record.topic);
    if (partitions === undefined || count === undefined) return undefined;
    const partition = partitionOfKey(record.key, count);
    return partitions.has(partition) ? partition : undefined;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
