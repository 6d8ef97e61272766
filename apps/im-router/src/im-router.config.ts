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

/** The consumer group of every im-router replica (architecture.md, Topics). */
export const IM_ROUTER_CONSUMER_GROUP = 'herald-im-router';

/** HTTP port of the health endpoints when HERALD_HTTP_PORT is not set. */
export const DEFAULT_HTTP_PORT = 8090;

/** The process settings of a standalone im-router (main.ts), from the environment. */
export interface ImRouterProcessConfig {
  service: ImRouterConfig;
  databaseUrl: string;
  databasePoolSize?: number;
  kafkaBrokers: string[];
  kafkaClientId: string;
  httpPort: number;
  /** Loopback unless deployed (HERALD_MODE=distributed), where probes come from the pod network. */
  httpHost: string;
  /** Development only: apply migrations at start instead of the migration job. */
  migrateOnStart: boolean;
}

export class ImRouterConfigError extends Error {
  readonly code = 'IM_ROUTER_CONFIG_INVALID';
}

export function imRouterConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ImRouterProcessConfig {
  const pool = env['DATABASE_POOL_SIZE'];
  return {
    service: { domain: required(env, 'HERALD_DOMAIN').toLowerCase() },
    databaseUrl: required(env, 'DATABASE_URL'),
    ...(pool === undefined || pool === ''
      ? {}
      : { databasePoolSize: positiveInteger('DATABASE_POOL_SIZE', pool) }),
    kafkaBrokers: required(env, 'KAFKA_BROKERS')
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ''),
    kafkaClientId: env['KAFKA_CLIENT_ID'] || 'herald-im-router',
    httpPort: positiveInteger('HERALD_HTTP_PORT', env['HERALD_HTTP_PORT'] || String(DEFAULT_HTTP_PORT)),
    httpHost: env['HERALD_MODE'] === 'distributed' ? '0.0.0.0' : '127.0.0.1',
    migrateOnStart: env['HERALD_MIGRATE_ON_START'] === 'true',
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '') {
    throw new ImRouterConfigError(`${name} must be set`);
  }
  return value;
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ImRouterConfigError(`${name} must be a positive integer, not "${raw}"`);
  }
  return value;
}
