import type { EventBus } from '#herald/bus';
import type { DataSource } from 'typeorm';

/**
 * Partitions one presence replica handles at once (each stays in order; a user's changes arriving
 * on several topics are serialized by the aggregate lock and ordered by their timestamps).
 */
export const PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY = 8;

/** The consumer group of every presence replica (architecture.md, Topics). */
export const PRESENCE_CONSUMER_GROUP = 'herald-presence';

/** What presence needs of Herald's configuration. */
export interface PresenceConfig {
  /** Kafka consumer group; tests on a shared broker give each run its own. */
  consumerGroup: string;
}

export const DEFAULT_PRESENCE_CONFIG: PresenceConfig = { consumerGroup: PRESENCE_CONSUMER_GROUP };

/**
 * Everything the module is given rather than builds: main.ts passes Kafka and its own DataSource,
 * the embedded app the in-process bus and the DataSource it shares with the other services.
 */
export interface PresenceServiceDeps {
  bus: EventBus;
  /** Initialized; migrations are run by the migration job, not by this module. */
  dataSource: DataSource;
  config: PresenceConfig;
  /**
   * Whether the consumer also reads the legacy shared topics (HERALD_CONSUME_LEGACY_TOPICS: only
   * while upgrading from the release whose edges published there).
   */
  consumeLegacyTopics: boolean;
}
