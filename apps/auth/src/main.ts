import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { runServiceMain, startKafkaPostgresService } from '#herald/runtime';
import { authConfigFromEnv, AuthModule } from '#herald/auth-service';

/** The distributed auth service: Kafka, PostgreSQL, the admin API on HERALD_HTTP_PORT. */
runServiceMain('auth', async () => {
  const authConfig = authConfigFromEnv();
  await startKafkaPostgresService({
    name: 'auth',
    kafkaClientIdSuffix: '-auth',
    databaseGauges: ['sessions'],
    module: ({ bus, dataSource }) => AuthModule.register({ bus, dataSource, config: authConfig }),
  });
});
