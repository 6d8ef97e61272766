import { observeGauge } from '#herald/observability';

/** Per consumer: how far each of its partitions is behind the log end (herald_kafka_consumer_lag). */
export interface ConsumerLag {
  /** After a record was handled: `highWatermark` is the offset the next produced record gets. */
  handled(topic: string, partition: number, highWatermark: string, offset: string): void;
  stop(): void;
}

export function observeConsumerLag(group: string): ConsumerLag {
  const lagByPartition = new Map<string, { topic: string; partition: number; lag: number }>();
  const removeSource = observeGauge('kafkaConsumerLag', () =>
    [...lagByPartition.values()].map(({ topic, partition, lag }) => ({
      value: lag,
      attributes: { group, topic, partition: String(partition) },
    })),
  );
  return {
    handled(topic, partition, highWatermark, offset) {
      const lag = Math.max(0, Number(BigInt(highWatermark) - BigInt(offset) - 1n));
      lagByPartition.set(`${topic}/${partition}`, { topic, partition, lag });
    },
    stop: removeSource,
  };
}
