import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { KafkaEventBus } from '#herald/bus';
import { ConfigError, KAFKA_GROUP_CONFIG_KEYS, kafkaGroupTimingOf, loadConfig } from '#herald/config';
import { exitGracefullyOnSignals, kafkaProbe, OperationsModule, postgresProbe } from '#herald/observability';
import { createDataSource, observeDatabaseGauges, runMigrations } from '#herald/persistence';
import { authConfigFromEnv } from './auth.config';
import { AuthModule } from './auth.module';

/** Development only: apply pending migrations at start-up instead of running the migration job. */
const MIGRATE_ON_START_VARIABLE = 'HERALD_MIGRATE_ON_START';

/** The distributed auth service: Kafka, PostgreSQL, the admin API on HERALD_HTTP_PORT. */
async function main(): Promise<void> {
  const config = loadConfig([
    'kafkaBrokers',
    'kafkaClientId',
    ...KAFKA_GROUP_CONFIG_KEYS,
    'kafkaLogLevel',
    'databaseUrl',
    'databasePoolSize',
    'httpPort',
  ]);
  const { kafkaBrokers, databaseUrl } = config;
  if (kafkaBrokers === undefined || databaseUrl === undefined) {
    throw new ConfigError(
      [
        ['KAFKA_BROKERS', kafkaBrokers],
        ['DATABASE_URL', databaseUrl],
      ]
        .filter(([, value]) => value === undefined)
        .map(([variable]) => ({ variable: String(variable), message: 'the auth service needs it' })),
    );
  }
  const authConfig = authConfigFromEnv();
  const dataSource = createDataSource({
    url: databaseUrl,
    poolSize: config.databasePoolSize,
    applicationName: 'herald-auth',
  });
  await dataSource.initialize();
  observeDatabaseGauges(dataSource, ['sessions']);
  if (process.env[MIGRATE_ON_START_VARIABLE] === 'true') {
    await runMigrations(dataSource);
  }
  const bus = new KafkaEventBus({
    brokers: kafkaBrokers,
    clientId: `${config.kafkaClientId}-auth`,
    ...kafkaGroupTimingOf(config),
    logLevel: config.kafkaLogLevel,
  });
  const app = await NestFactory.create(
    OperationsModule.around(AuthModule.register({ bus, dataSource, config: authConfig }), [
      postgresProbe(dataSource),
      kafkaProbe(bus),
    ]),
  );
  await app.listen(config.httpPort);
  exitGracefullyOnSignals({
    name: 'herald-auth',
    stop: async () => {
      await app.close();
      await bus.close();
      await dataSource.destroy();
    },
  });
}

main().catch((error: unknown) => {
  console.error('herald-auth: failed to start', error);
  process.exitCode = 1;
});
