import { type DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type EventBus, KafkaEventBus, ServiceLinkBus } from '#herald/bus';
import {
  ConfigError,
  type ConfigKey,
  type HeraldConfig,
  KAFKA_BUS_CONFIG_KEYS,
  kafkaTimingOf,
  kafkaSecurityOf,
  loadConfig,
  loadEdgeLinkSettings,
} from '#herald/config';
import { FIXED_TOPICS, type Origin } from '#herald/contracts';
import { exitGracefullyOnSignals, kafkaProbe, OperationsModule, postgresProbe } from '#herald/observability';
import {
  createDataSource,
  type DatabaseCountGauge,
  observeDatabaseGauges,
  poolSizeForConsumers,
  runMigrations,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { edgeLinkClientOf } from './service-edge-link';
import { listenForOperations } from './service-main';

/** The settings every Kafka and PostgreSQL service reads. */
const KAFKA_POSTGRES_CONFIG_KEYS = [
  ...KAFKA_BUS_CONFIG_KEYS,
  'consumeLegacyTopics',
  'databaseUrl',
  'databasePoolSize',
  'httpPort',
  'shutdownGraceMs',
  'migrateOnStart',
  'logLevel',
] as const satisfies readonly ConfigKey[];

export type KafkaPostgresConfig = Pick<HeraldConfig, (typeof KAFKA_POSTGRES_CONFIG_KEYS)[number] | 'mode'>;

/** What a service's module is built from. */
export interface KafkaPostgresServiceDeps<K extends ConfigKey> {
  /** Kafka, or Kafka behind the edge link when HERALD_EDGE_LINK_ADDRESSES or _TEMPLATE is set. */
  bus: EventBus;
  /** Initialized, migrated when HERALD_MIGRATE_ON_START=true. */
  dataSource: DataSource;
  config: KafkaPostgresConfig & Pick<HeraldConfig, K>;
}

/** What is specific to one Kafka and PostgreSQL service (auth, presence, im-router). */
export interface KafkaPostgresServiceSpec<K extends ConfigKey> {
  /** `presence`: the logger context, log lines, and the database application name `herald-presence`. */
  name: string;
  /** The origin its pushes name: the edges send their outcomes back over a link connection of it. */
  origin: Origin;
  /** Settings the service reads beyond the Kafka, database and HTTP ones. */
  configKeys?: readonly K[];
  /** Appended to HERALD_KAFKA_CLIENT_ID: `-auth`. */
  kafkaClientIdSuffix?: string;
  /** Partitions one replica handles at once (default KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY). */
  partitionsConsumedConcurrently?: number;
  /** Row counts published as gauges besides the pool's. */
  databaseGauges?: readonly DatabaseCountGauge[];
  module: (deps: KafkaPostgresServiceDeps<K>) => DynamicModule;
  /** Another HTTP application of the service (auth's admin API on its own port), closed first at stop. */
  alongside?: (deps: KafkaPostgresServiceDeps<K>) => Promise<{ close(): Promise<void> }>;
}

/**
 * Starts one service on Kafka and PostgreSQL from the environment (docs/configuration.md):
 * database (and migrations in development), bus with the fixed topics, the module wrapped in the
 * operations endpoints with both probes, and a graceful stop on SIGTERM / SIGINT.
 */
export async function startKafkaPostgresService<K extends ConfigKey = never>(
  spec: KafkaPostgresServiceSpec<K>,
): Promise<void> {
  const logger = new Logger(spec.name);
  const config = loadConfig<K | (typeof KAFKA_POSTGRES_CONFIG_KEYS)[number]>([
    ...KAFKA_POSTGRES_CONFIG_KEYS,
    ...(spec.configKeys ?? []),
  ]);
  const { kafkaBrokers, databaseUrl } = config;
  if (kafkaBrokers === undefined || databaseUrl === undefined) {
    throw new ConfigError(
      [
        ['KAFKA_BROKERS', kafkaBrokers],
        ['DATABASE_URL', databaseUrl],
      ]
        .filter(([, value]) => value === undefined)
        .map(([variable]) => ({ variable: String(variable), message: `${spec.name} needs it` })),
    );
  }
  // Read (and a bad address refused) before anything connects; the client opens connections on demand.
  const linkSettings = loadEdgeLinkSettings();
  const linkClient = linkSettings === undefined ? undefined : edgeLinkClientOf(linkSettings, spec.origin);
  const partitions = spec.partitionsConsumedConcurrently;
  const dataSource = createDataSource({
    url: databaseUrl,
    // The service's one consumer runs at most busHandlerConcurrency handlers at once.
    poolSize: poolSizeForConsumers(config.busHandlerConcurrency, config.databasePoolSize),
    applicationName: `herald-${spec.name}`,
  });
  await dataSource.initialize();
  observeDatabaseGauges(dataSource, spec.databaseGauges);
  if (config.migrateOnStart) {
    logger.log(`applied migrations: ${(await runMigrations(dataSource)).join(', ') || 'none'}`);
  }
  const kafka = new KafkaEventBus({
    brokers: kafkaBrokers,
    clientId: `${config.kafkaClientId}${spec.kafkaClientIdSuffix ?? ''}`,
    ...kafkaTimingOf(config),
    security: kafkaSecurityOf(config),
    logLevel: config.kafkaLogLevel,
    handlerConcurrency: config.busHandlerConcurrency,
    createTopics: config.kafkaCreateTopics,
    ...(partitions === undefined ? {} : { partitionsConsumedConcurrently: partitions }),
  });
  // Subscribing to a topic that does not exist yet fails; creating existing ones is a no-op. In
  // Kubernetes the topics are made ahead and the ACLs grant no Create: HERALD_KAFKA_CREATE_TOPICS=false
  // makes this a check that fails the start with KAFKA_TOPICS_MISSING.
  await kafka.ensureTopics(FIXED_TOPICS);
  // Records for one edge and the outcomes of this service's pushes travel the edge link, Kafka
  // being the fallback (architecture.md, "Topics"); without link settings Kafka carries all.
  // With HERALD_EDGE_LINK_REQUESTS the edges also send the records of the partitions this
  // replica consumes (its commands and requests) over the link to it.
  const bus: EventBus =
    linkClient === undefined ? kafka : new ServiceLinkBus(kafka, linkClient, linkSettings!.requests);
  logger.log(
    linkSettings === undefined
      ? 'edge link off: records for the edges go to Kafka'
      : `edge link on: addresses ${linkSettings.addresses ?? 'none'}, template ${linkSettings.addressTemplate ?? 'none'}, requests over the link ${linkSettings.requests ? 'on' : 'off'}`,
  );
  const app = await NestFactory.create(
    OperationsModule.around(spec.module({ bus, dataSource, config }), [
      postgresProbe(dataSource),
      kafkaProbe(kafka),
    ]),
  );
  await listenForOperations(app, config, spec.name, logger);
  const alongside = await spec.alongside?.({ bus, dataSource, config });
  exitGracefullyOnSignals({
    name: `herald-${spec.name}`,
    graceMs: config.shutdownGraceMs,
    stop: async () => {
      await alongside?.close();
      // app.close() runs onApplicationShutdown: the consumers finish their handlers and stop.
      await app.close();
      // Publishes are over: the link's connections close, then Kafka flushes.
      await linkClient?.close();
      await kafka.close();
      await dataSource.destroy();
    },
  });
}
