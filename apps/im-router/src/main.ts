import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaEventBus } from '#herald/bus';
import { KAFKA_GROUP_CONFIG_KEYS, kafkaGroupTimingOf, loadConfig } from '#herald/config';
import { FIXED_TOPICS } from '#herald/contracts';
import { exitGracefullyOnSignals, kafkaProbe, OperationsModule, postgresProbe } from '#herald/observability';
import {
  createDataSource,
  observeDatabaseGauges,
  poolSizeForConsumers,
  runMigrations,
} from '#herald/persistence';
import { IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY, ImRouterStartError } from './im-router.config';
import { ImRouterModule } from './im-router.module';

/** The standalone im-router: Kafka and PostgreSQL from the environment (docs/configuration.md). */
async function main(): Promise<void> {
  const logger = new Logger('ImRouter');
  const config = loadConfig([
    'domain',
    'kafkaBrokers',
    'kafkaClientId',
    ...KAFKA_GROUP_CONFIG_KEYS,
    'kafkaLogLevel',
    'databaseUrl',
    'databasePoolSize',
    'httpPort',
  ]);
  if (config.kafkaBrokers === undefined || config.databaseUrl === undefined) {
    throw new ImRouterStartError('im-router needs KAFKA_BROKERS and DATABASE_URL');
  }
  // Deployed, the probes come from the pod network; anywhere else listen on loopback only.
  const httpHost = config.mode === 'distributed' ? '0.0.0.0' : '127.0.0.1';
  const dataSource = createDataSource({
    url: config.databaseUrl,
    poolSize: poolSizeForConsumers(IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY, config.databasePoolSize),
    applicationName: 'herald-im-router',
  });
  await dataSource.initialize();
  observeDatabaseGauges(dataSource, ['offlineStoreDepth']);
  // Development only: deployments run migrations as a separate job before the services start.
  if (process.env['HERALD_MIGRATE_ON_START'] === 'true') {
    logger.log(`applied migrations: ${(await runMigrations(dataSource)).join(', ') || 'none'}`);
  }
  const bus = new KafkaEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    ...kafkaGroupTimingOf(config),
    logLevel: config.kafkaLogLevel,
    partitionsConsumedConcurrently: IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY,
  });
  // Subscribing to a topic that does not exist yet fails; creating existing ones is a no-op.
  await bus.ensureTopics(FIXED_TOPICS);
  const app = await NestFactory.create(
    OperationsModule.around(ImRouterModule.register({ bus, dataSource, config: { domain: config.domain } }), [
      postgresProbe(dataSource),
      kafkaProbe(bus),
    ]),
  );
  await app.listen(config.httpPort, httpHost);
  logger.log(`im-router up; health on http://${httpHost}:${config.httpPort}/health`);

  exitGracefullyOnSignals({
    name: 'im-router',
    log: (message) => logger.log(message),
    stop: async () => {
      // app.close() runs onApplicationShutdown: the consumer finishes its handler and stops.
      await app.close();
      await bus.close();
      await dataSource.destroy();
    },
  });
}

main().catch((error: unknown) => {
  new Logger('ImRouter').error(
    `start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
