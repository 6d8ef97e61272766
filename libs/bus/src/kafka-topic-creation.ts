import { type Admin, KafkaJSError } from 'kafkajs';

/** First pause before trying again after a retriable error; it doubles up to the max. */
const TOPIC_RETRY_FIRST_DELAY_MS = 100;
const TOPIC_RETRY_MAX_DELAY_MS = 2_000;

export type TopicAdmin = Pick<Admin, 'listTopics' | 'createTopics' | 'fetchTopicMetadata'>;

/**
 * Creates the missing topics and returns once each has a leader. Replicas starting together on a
 * fresh cluster race to create the same topics: the loser finds them existing before their leaders
 * are elected, and its metadata request fails with a retriable error (UNKNOWN_TOPIC_OR_PARTITION,
 * LEADER_NOT_AVAILABLE). Such errors are tried again until `deadline` (epoch ms); others throw.
 */
export async function createMissingTopics(
  admin: TopicAdmin,
  topics: ReadonlyArray<string>,
  deadline: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        // Partitions and replication come from the broker's defaults (num.partitions etc.).
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic })) });
      }
      await admin.fetchTopicMetadata({ topics: [...topics] });
      return;
    } catch (error) {
      if (!(error instanceof KafkaJSError && error.retriable) || Date.now() >= deadline) throw error;
      await sleep(Math.min(TOPIC_RETRY_MAX_DELAY_MS, TOPIC_RETRY_FIRST_DELAY_MS * 2 ** attempt));
    }
  }
}
