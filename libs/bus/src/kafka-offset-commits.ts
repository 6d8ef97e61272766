import type { EachBatchPayload, OffsetsByTopicPartition } from 'kafkajs';

/** The part of a kafkajs batch payload that commits offsets through its consumer group. */
export type OffsetCommitter = Pick<EachBatchPayload, 'commitOffsetsIfNecessary'>;

interface HandledThrough {
  topic: string;
  partition: number;
  /** The next offset to read: one past the last handled record. */
  offset: string;
}

/**
 * Commits one consumer's handled offsets off its fetch path. The consumer resolves offsets in
 * kafkajs as soon as their records are in its pipeline (so it fetches past them), so what is
 * committed is tracked here instead: `handled` notes a partition's records handled through an
 * offset and returns at once; the commits run one at a time, each taking every partition's latest
 * handled offset by then, so notes made during a commit share the next one, and a commit starts
 * at least `minIntervalMs` after the previous one started: under load a consumer handles records
 * every few milliseconds, and one OffsetCommit each cost the broker as much as a produce. Never
 * past an unhandled record. A note costs a map entry and a flag, not a promise per record.
 */
export class KafkaOffsetCommits {
  private readonly latest = new Map<string, HandledThrough>();
  /** The committer of the latest note: a consumer restarted after a crash has a new consumer group object. */
  private committer: OffsetCommitter | undefined;
  /** Notes made since the commit in progress took the latest offsets: another commit follows it. */
  private noted = false;
  private running: Promise<void> | undefined;
  /** Ends the wait between two commits early: the consumer stops and commits what it handled now. */
  private endWait: (() => void) | undefined;
  private hurried = false;

  constructor(
    private readonly onError: (error: unknown) => void,
    private readonly minIntervalMs = 0,
  ) {}

  /** `topic`/`partition` is handled up to `nextOffset` (exclusive): commit it soon; returns at once. */
  handled(committer: OffsetCommitter, topic: string, partition: number, nextOffset: string): void {
    this.latest.set(`${topic}/${partition}`, { topic, partition, offset: nextOffset });
    this.committer = committer;
    this.noted = true;
    this.running ??= this.commitWhileNoted();
  }

  /** The partition left this consumer: its new owner commits it from now on. */
  forget(topic: string, partition: number): void {
    this.latest.delete(`${topic}/${partition}`);
  }

  /** Resolves when every commit requested so far is done (or failed and was reported). */
  async idle(): Promise<void> {
    while (this.running !== undefined) {
      await this.running;
    }
  }

  /**
   * Commits what was handled without waiting out the interval (the consumer stops: a long interval
   * must not delay its shutdown), and resolves as `idle` does.
   */
  async flush(): Promise<void> {
    this.hurried = true;
    this.endWait?.();
    await this.idle();
  }

  /** One commit at a time, again while notes were made during the last one; a failure is reported. */
  private async commitWhileNoted(): Promise<void> {
    while (this.noted) {
      this.noted = false;
      try {
        await this.commitLatest(this.committer);
      } catch (error) {
        this.onError(error);
      }
    }
    this.running = undefined;
  }

  private async commitLatest(committer: OffsetCommitter | undefined): Promise<void> {
    if (committer === undefined || this.latest.size === 0) return;
    const started = Date.now();
    const committing = [...this.latest];
    const byTopic = new Map<string, OffsetsByTopicPartition['topics'][number]>();
    for (const [, { topic, partition, offset }] of committing) {
      const entry = byTopic.get(topic) ?? { topic, partitions: [] };
      entry.partitions.push({ partition, offset });
      byTopic.set(topic, entry);
    }
    // Given explicit offsets, kafkajs commits them unconditionally, also while its consumer stops.
    await committer.commitOffsetsIfNecessary({ topics: [...byTopic.values()] });
    // Kept when a later note replaced it (or the commit failed): the next commit takes it.
    for (const [key, handled] of committing) {
      if (this.latest.get(key) === handled) this.latest.delete(key);
    }
    const untilNext = started + this.minIntervalMs - Date.now();
    if (untilNext > 0 && !this.hurried) await this.waitUnlessHurried(untilNext);
  }

  private waitUnlessHurried(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.endWait = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endWait = done;
    });
  }
}
