// OpenTelemetry starts here (issue 5)
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaEventBus } from '#herald/bus';
import { FIXED_TOPICS } from '#herald/contracts';
import { createDataSource, runMigrations } from '#herald/persistence';
import { ImRouterAppModule } from './im-router-app.module';
import { imRouterConfigFromEnv } from './im-router.config';

/** The standalone im-router: Kafka and PostgreSQL from the environment (see im-router.config.ts). */
async function main(): Promise<void> {
  const logger = new Logger('ImRouter');
  const config = imRouterConfigFromEnv();
  const dataSource = createDataSource({
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    applicationName: 'herald-im-router',
  });
  await dataSource.initialize();
  if (config.migrateOnStart) {
    logger.log(`applied migrations: ${(await runMigrations(dataSource)).join(', ') || 'none'}`);
  }
  const bus = new KafkaEventBus({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId });
  // Subscribing to a topic that does not exist yet fails; creating existing ones is a no-op.
  await bus.ensureTopics(FIXED_TOPICS);
  const app = await NestFactory.create(
    ImRouterAppModule.register({ bus, dataSource, config: config.service }),
  );
  await app.listen(config.httpPort, config.httpHost);
  logger.log(`im-router up; health on http://${config.httpHost}:${config.httpPort}/health`);

  const shutdown = async (signal: string) => {
    logger.log(`${signal}: stopping the consumer, then the bus and the database`);
    // app.close() runs onApplicationShutdown: the consumer finishes its handler and stops.
    await app.close();
    await bus.close();
    await dataSource.destroy();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  new Logger('ImRouter').error(
    `start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
