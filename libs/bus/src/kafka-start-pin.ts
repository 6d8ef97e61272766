import type { GroupOffsetsReader } from './consumer-lag';
import { partitionKey } from './partition-key';

/** One offset to commit for a group: the next record it must handle in that partition. */
export interface PinnedOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface KafkaStartPinDeps {
  groupId: string;
  topics: ReadonlyArray<string>;
  offsets: GroupOffsetsReader;
  /** Commits offsets for the group as its current member (kafkajs consumer.commitOffsets). */
  commit(offsets: PinnedOffset[]): Promise<void>;
}

/**
 * Where a `fromBeginning: false` group starts, kept in the group. kafkajs starts a partition the
 * group committed nothing in at its end (`latest`) at EVERY join, also when the consumer restarts
 * after a crash or a broker restart: the records published while it was away were skipped. An
 * edge whose pushes all went over the edge link never committed its outbound partitions, and an
 * IM that fell back to Kafka during a broker restart never reached its device (chaos seed
 * 918843920). So the log ends are read once, before the first join (`capture`), and after each
 * join (`pin`) committed for every assigned partition with no committed offset: the group starts
 * where its first subscription found the log, once, as the in-process bus does.
 */
export class KafkaStartPin {
  private readonly starts = new Map<string, string>();

  constructor(private readonly deps: KafkaStartPinDeps) {}

  /** Reads the end of each topic's partitions: where the group starts where it committed nothing. */
  async capture(): Promise<void> {
    for (const topic of this.deps.topics) {
      for (const { partition, high } of await this.deps.offsets.logEnds(topic)) {
        this.starts.set(partitionKey(topic, partition), high);
      }
    }
  }

  /**
   * After a join: commits the captured start of each assigned partition the group has no
   * committed offset in; a partition added since the capture starts at its beginning (all of its
   * records came after the subscription). Returns what it committed.
   */
  async pin(assignment: Partial<Record<string, number[]>>): Promise<PinnedOffset[]> {
    const assigned = Object.entries(assignment).filter(
      (entry): entry is [string, number[]] => entry[1] !== undefined && entry[1].length > 0,
    );
    if (assigned.length === 0) return [];
    const committed = await this.deps.offsets.committed(
      this.deps.groupId,
      assigned.map(([topic]) => topic),
    );
    const uncommitted = new Set(
      committed
        .filter(({ offset }) => Number(offset) < 0)
        .map(({ topic, partition }) => partitionKey(topic, partition)),
    );
    const pins: PinnedOffset[] = [];
    for (const [topic, partitions] of assigned) {
      const toPin = partitions.filter((partition) => uncommitted.has(partitionKey(topic, partition)));
      if (toPin.some((partition) => !this.starts.has(partitionKey(topic, partition)))) {
        await this.captureNewPartitions(topic);
      }
      for (const partition of toPin) {
        const offset = this.starts.get(partitionKey(topic, partition));
        if (offset !== undefined) pins.push({ topic, partition, offset });
      }
    }
    if (pins.length > 0) await this.deps.commit(pins);
    return pins;
  }

  /** Partitions added since the capture start at their beginning: one read of the topic for all. */
  private async captureNewPartitions(topic: string): Promise<void> {
    for (const { partition, low } of await this.deps.offsets.logEnds(topic)) {
      const key = partitionKey(topic, partition);
      if (!this.starts.has(key)) this.starts.set(key, low);
    }
  }
}
