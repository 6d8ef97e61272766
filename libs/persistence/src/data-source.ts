import 'reflect-metadata';
import { Client, type ClientConfig } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS, type MigrationClass } from './registry';

export interface DataSourceConfig {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Defaults to ALL_MIGRATIONS. */
  migrations?: MigrationClass[];
  /** Log SQL statements (development only). */
  logging?: boolean;
  /** Connections in the pool (pg default 10). */
  poolSize?: number;
  /** Shown in pg_stat_activity, e.g. `herald-presence`. */
  applicationName?: string;
  /** Told when a connection of the pool ends unexpectedly (default: a warning log line). */
  onConnectionLost?: (error: Error) => void;
}

/** The default `onConnectionLost`: one log line with a stable code. */
function logConnectionLost(error: Error): void {
  connectionLogger().warn(
    { code: 'DB_CONNECTION_LOST', err: error },
    'a PostgreSQL connection ended; the pool opens a new one for the next query',
  );
}

let persistenceLogger: pino.Logger | undefined;
function connectionLogger(): pino.Logger {
  persistenceLogger ??= pino({ name: 'persistence' });
  return persistenceLogger;
}

/**
 * pg's Client with an 'error' listener for its whole life. A connection that ends (PostgreSQL
 * restarted, a network cut) emits 'error' on its client; pg's pool listens only while the client
 * is idle and TypeORM only while a query runner holds it, so a client between the two (e.g. just
 * released after its transaction failed) had none, and Node turned the event into an uncaught
 * exception that killed the process. The query in flight still fails as before.
 */
function clientReportingLostConnections(onLost: (error: Error) => void): typeof Client {
  return class ClientReportingLostConnections extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      this.on('error', onLost);
    }
  };
}

/** Connections of the timers (expiry and plain-device sweepers) besides the consumers. */
const BACKGROUND_CONNECTIONS = 2;

/**
 * The smallest pool for a service handling `partitionsInFlight` Kafka partitions at once: each
 * holds one connection for its transaction and may read the directories on a second meanwhile.
 */
export function poolSizeForConsumers(partitionsInFlight: number, configuredPoolSize: number): number {
  return Math.max(configuredPoolSize, 2 * partitionsInFlight + BACKGROUND_CONNECTIONS);
}

/**
 * A PostgreSQL DataSource (not yet initialized). The schema comes from migrations only, and the
 * adapters run their own SQL against the table definitions (table.ts): no entities, and
 * `synchronize` is off so a running service never alters tables behind the migrations' back.
 */
export function createDataSource(config: DataSourceConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.url,
    migrations: config.migrations ?? ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: config.logging ?? false,
    poolSize: config.poolSize,
    applicationName: config.applicationName,
    // Handed to pg's Pool, which makes its connections with this Client class.
    extra: { Client: clientReportingLostConnections(config.onConnectionLost ?? logConnectionLost) },
  });
}
