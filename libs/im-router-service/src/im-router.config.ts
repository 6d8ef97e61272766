import type { EventBus } from '#herald/bus';
import type { DataSource } from 'typeorm';

/** What im-router needs of Herald's configuration, already validated. */
export interface ImRouterConfig {
  /** The SIP domain D: IMs to AORs of other domains are not allowed. */
  domain: string;
  /** How long a new registration may take to log in before it is served as plain SIP (tests shorten it). */
  plainDeviceLoginGraceMs?: number;
}

/**
 * Everything the module is given rather than builds: main.ts passes Kafka and its own DataSource,
 * the embedded app the in-process bus and the DataSource it shares with the other services.
 */
export interface ImRouterServiceDeps {
  bus: EventBus;
  /** Initialized; migrations are run by the migration job, not by this module. */
  dataSource: DataSource;
  config: ImRouterConfig;
}

/** What the module reads beside the router's configuration: its sweeps' settings. */
export interface ImRouterModuleConfig extends ImRouterConfig {
  /** HERALD_IM_MESSAGE_RETENTION_DAYS: how long a delivered message is kept. */
  messageRetentionDays: number;
}

/** What ImRouterModule.register is given: the router's deps and what its consumer and sweeps read. */
export interface ImRouterModuleDeps extends ImRouterServiceDeps {
  config: ImRouterModuleConfig;
  /**
   * Whether the consumer also reads the legacy shared topics (HERALD_CONSUME_LEGACY_TOPICS: only
   * while upgrading from the release whose edges published there).
   */
  consumeLegacyTopics: boolean;
}

/**
 * Partitions one im-router replica handles at once (each stays in order). One user's commands
 * and outcomes share a partition, so this is the parallelism that keeps per-AOR order.
 */
export const IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY = 8;

/** The consumer group of every im-router replica (architecture.md, Topics). */
export const IM_ROUTER_CONSUMER_GROUP = 'herald-im-router';
