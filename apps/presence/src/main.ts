import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { runServiceMain, startKafkaPostgresService } from '#herald/runtime';
import {
  DEFAULT_PRESENCE_CONFIG,
  PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY,
  PresenceModule,
} from '#herald/presence-service';

/** The standalone presence service: Kafka and PostgreSQL from the environment (docs/configuration.md). */
runServiceMain('presence', () =>
  startKafkaPostgresService({
    name: 'presence',
    origin: 'presence',
    partitionsConsumedConcurrently: PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY,
    module: ({ bus, dataSource, config }) =>
      PresenceModule.register({
        bus,
        dataSource,
        config: DEFAULT_PRESENCE_CONFIG,
        consumeLegacyTopics: config.consumeLegacyTopics,
      }),
  }),
);
