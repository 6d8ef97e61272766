import { componentLogger, observeGauge } from '#herald/observability';

/** How often a consumer asks the broker for its group's lag: two small admin requests per topic. */
export const CONSUMER_LAG_REFRESH_MS = 15_000;

/** One partition's committed offset of a group; `-1` when the group committed none there yet. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** One partition's log: `high` is the offset the next produced record gets, `low` the oldest kept. */
export interface PartitionLogEnds {
  partition: number;
  high: string;
  low: string;
}

/** The broker's view of a group (kafkajs admin fetchOffsets / fetchTopicOffsets). */
export interface GroupOffsetsReader {
  committed(groupId: string, topics: ReadonlyArray<string>): Promise<CommittedOffset[]>;
  logEnds(topic: string): Promise<PartitionLogEnds[]>;
}

export interface ConsumerLag {
  /** Reads the lag from the broker now (also done every refreshMs); resolves once it was read. */
  refresh(): Promise<void>;
  stop(): void;
}

export interface ConsumerLagOptions {
  refreshMs?: number;
}

interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/**
 * herald_kafka_consumer_lag of `group` on `topics` as the broker sees it: the log end minus the
 * group's committed offset per partition (from the oldest record kept when nothing is committed),
 * read every refreshMs. Every member of a group reports all its partitions, so dashboards take the
 * max per partition. Nothing is done per consumed record. A failed read is logged and the previous
 * reading kept; readiness reports a broker outage.
 */
export function observeConsumerLag(
  group: string,
  topics: ReadonlyArray<string>,
  reader: GroupOffsetsReader,
  options: ConsumerLagOptions = {},
): ConsumerLag {
  let lags: PartitionLag[] = [];
  const removeSource = observeGauge('kafkaConsumerLag', () =>
    lags.map(({ topic, partition, lag }) => ({
      value: lag,
      attributes: { group, topic, partition: String(partition) },
    })),
  );
  const read = async (): Promise<void> => {
    const committed = await reader.committed(group, topics);
    const next: PartitionLag[] = [];
    for (const topic of topics) {
      for (const { partition, high, low } of await reader.logEnds(topic)) {
        const offset = committed.find((c) => c.topic === topic && c.partition === partition)?.offset;
        const from = offset === undefined || BigInt(offset) < 0n ? BigInt(low) : BigInt(offset);
        next.push({ topic, partition, lag: Math.max(0, Number(BigInt(high) - from)) });
      }
    }
    lags = next;
  };
  const refresh = (): Promise<void> =>
    read().catch((error: unknown) => {
      componentLogger('Bus').warn(
        { code: 'KAFKA_LAG_READ_FAILED', group, err: error },
        'reading the consumer lag from the broker failed; the last reading stays',
      );
    });
  const timer = setInterval(() => void refresh(), options.refreshMs ?? CONSUMER_LAG_REFRESH_MS);
  // The lag reading never keeps a stopping process alive.
  timer.unref();
  return {
    refresh,
    stop: () => {
      clearInterval(timer);
      removeSource();
    },
  };
}
