import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { operationsHttpHost, runServiceMain, startKafkaPostgresService } from '#herald/runtime';
import { loadAuthConfig, AuthModule, listenForAdmin } from '#herald/auth-service';

/**
 * The distributed auth service: Kafka, PostgreSQL, health and metrics on HERALD_HTTP_PORT, the
 * admin API on HERALD_ADMIN_PORT.
 */
runServiceMain('auth', async () => {
  const authConfig = loadAuthConfig();
  await startKafkaPostgresService({
    name: 'auth',
    origin: 'auth',
    configKeys: ['adminPort'],
    kafkaClientIdSuffix: '-auth',
    databaseGauges: ['sessions'],
    module: ({ bus, dataSource, config }) =>
      AuthModule.register({
        bus,
        dataSource,
        config: authConfig,
        consumeLegacyTopics: config.consumeLegacyTopics,
      }),
    alongside: async ({ bus, dataSource, config }) => {
      const admin = await listenForAdmin(
        { bus, dataSource, config: authConfig },
        config.adminPort,
        operationsHttpHost(config.mode),
        new Logger('auth'),
      );
      return admin.app;
    },
  });
});
