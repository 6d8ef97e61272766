import type { EventBus } from '#herald/bus';
import { loadAuthSettings, loadConfig } from '#herald/config';
import type { DataSource } from 'typeorm';

/** What auth needs of Herald's configuration, already validated. */
export interface AuthConfig {
  /** The SIP domain D: AORs are `sip:user@D`, D is the digest realm. */
  domain: string;
  maxExpiresSeconds: number;
  sweepIntervalMs: number;
  sweepBatchSize: number;
  /** HERALD_AUTH_ANNOUNCE_SUPERSEDED; absent: true. */
  announceSuperseded?: boolean;
  /** Bearer token of the admin HTTP API; without one every admin request is refused. */
  adminToken?: string;
}

/**
 * Everything the module is given rather than builds: main.ts passes Kafka and its own DataSource,
 * the embedded app the in-process bus and the DataSource it shares with the other services.
 */
export interface AuthServiceDeps {
  bus: EventBus;
  /** Initialized; migrations are run by the migration job, not by this module. */
  dataSource: DataSource;
  config: AuthConfig;
  /**
   * Whether the consumer also reads the legacy shared topics (HERALD_CONSUME_LEGACY_TOPICS: only
   * while upgrading from the release whose edges published there).
   */
  consumeLegacyTopics: boolean;
}

/** The consumer group of every auth replica (architecture.md, Topics). */
export const AUTH_CONSUMER_GROUP = 'herald-auth';

/**
 * Auth's settings, read in libs/config: the shared ones (HERALD_DOMAIN, HERALD_MAX_EXPIRES,
 * HERALD_ADMIN_TOKEN), the sweeper's (HERALD_AUTH_SWEEP_INTERVAL_MS, HERALD_AUTH_SWEEP_BATCH_SIZE)
 * and HERALD_AUTH_ANNOUNCE_SUPERSEDED. Throws ConfigError naming every bad variable.
 */
export function loadAuthConfig(): AuthConfig {
  const herald = loadConfig(['domain', 'maxExpires', 'adminToken']);
  const own = loadAuthSettings();
  return {
    domain: herald.domain.toLowerCase(),
    maxExpiresSeconds: herald.maxExpires,
    sweepIntervalMs: own.sweepIntervalMs,
    sweepBatchSize: own.sweepBatchSize,
    announceSuperseded: own.announceSuperseded,
    ...(herald.adminToken === undefined ? {} : { adminToken: herald.adminToken }),
  };
}
