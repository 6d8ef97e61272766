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
import { DEFAULT_PRESENCE_CONFIG, PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY } from './presence.config';
import { PresenceModule } from './presence.module';

export class PresenceStartError extends Error {
  readonly code = 'PRESENCE_START_FAILED';
}

/** The standalone presence service: Kafka and PostgreSQL from the environment (docs/configuration.md). */
async function main(): Promise<void> {
  const logger = new Logger('Presence');
  const config = loadConfig([
    'kafkaBrokers',
    'kafkaClientId',
    ...KAFKA_GROUP_CONFIG_KEYS,
    'kafkaLogLevel',
    'databaseUrl',
    'databasePoolSize',
    'httpPort',
  ]);
  if (config.kafkaBrokers === undefined || config.databaseUrl === undefined) {
    throw new PresenceStartError('the presence service needs KAFKA_BROKERS and DATABASE_URL');
  }
  const dataSource = createDataSource({
    url: config.databaseUrl,
    poolSize: poolSizeForConsumers(PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY, config.databasePoolSize),
    applicationName: 'herald-presence',
  });
  await dataSource.initialize();
  observeDatabaseGauges(dataSource);
  // Development only: deployments run migrations as a separate job before the services start.
  if (process.env['HERALD_MIGRATE_ON_START'] === 'true') {
    logger.log(`applied migrations: ${(await runMigrations(dataSource)).join(', ') || 'none'}`);
  }
  const bus = new KafkaEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    ...kafkaGroupTimingOf(config),
    logLevel: config.kafkaLogLevel,
    partitionsConsumedConcurrently: PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY,
  });
  // Subscribing to a topic that does not exist yet fails; creating existing ones is a no-op.
  await bus.ensureTopics(FIXED_TOPICS);
  const app = await NestFactory.create(
    OperationsModule.around(PresenceModule.register({ bus, dataSource, config: DEFAULT_PRESENCE_CONFIG }), [
      postgresProbe(dataSource),
      kafkaProbe(bus),
    ]),
  );
  // Deployed, the probes come from the pod network; anywhere else listen on loopback only.
  const httpHost = config.mode === 'distributed' ? '0.0.0.0' : '127.0.0.1';
  await app.listen(config.httpPort, httpHost);
  logger.log(`presence up; health and metrics on http://${httpHost}:${config.httpPort}`);

  exitGracefullyOnSignals({
    name: 'presence',
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
  new Logger('Presence').error(
    `start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
