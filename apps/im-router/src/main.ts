import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { loadImRouterSettings } from '#herald/config';
import { runServiceMain, startKafkaPostgresService } from '#herald/runtime';
import { IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY, ImRouterModule } from '#herald/im-router-service';

/** The standalone im-router: Kafka and PostgreSQL from the environment (docs/configuration.md). */
runServiceMain('im-router', () => {
  const own = loadImRouterSettings();
  return startKafkaPostgresService({
    name: 'im-router',
    origin: 'im-router',
    configKeys: ['domain'],
    partitionsConsumedConcurrently: IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY,
    databaseGauges: ['offlineStoreDepth'],
    module: ({ bus, dataSource, config }) =>
      ImRouterModule.register({
        bus,
        dataSource,
        config: { domain: config.domain, ...own },
        consumeLegacyTopics: config.consumeLegacyTopics,
      }),
  });
});
