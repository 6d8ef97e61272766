import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { SnakeNamingStrategy } from './naming-strategy';
import { ALL_ENTITIES, ALL_MIGRATIONS, type EntityClass, type MigrationClass } from './registry';

export interface DataSourceConfig {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Defaults to ALL_ENTITIES. */
  entities?: EntityClass[];
  /** Defaults to ALL_MIGRATIONS. */
  migrations?: MigrationClass[];
  /** Log SQL statements (development only). */
  logging?: boolean;
  /** Connections in the pool (pg default 10). */
  poolSize?: number;
  /** Shown in pg_stat_activity, e.g. `herald-presence`. */
  applicationName?: string;
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
 * A PostgreSQL DataSource (not yet initialized). The schema comes from migrations only:
 * `synchronize` is off so a running service never alters tables behind the migrations' back.
 */
export function createDataSource(config: DataSourceConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.url,
    entities: config.entities ?? ALL_ENTITIES,
    migrations: config.migrations ?? ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: config.logging ?? false,
    poolSize: config.poolSize,
    applicationName: config.applicationName,
  });
}
