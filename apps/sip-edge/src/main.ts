import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaEventBus } from '#herald/bus';
import {
  KAFKA_BUS_CONFIG_KEYS,
  kafkaTimingOf,
  kafkaSecurityOf,
  loadConfig,
  loadSipEdgeSettings,
} from '#herald/config';
import { FIXED_TOPICS, SIP_REGISTER_REQUESTED_V1 } from '#herald/contracts';
import { exitGracefullyOnSignals, OperationsModule } from '#herald/observability';
import { listenForOperations, runServiceMain } from '#herald/runtime';
import {
  SIP_EDGE_CONFIG_KEYS,
  sipEdgeConfigFrom,
  probesWithEdgeReadiness,
  drainBudgetMs,
  edgeLinkListenOf,
  SipEdgeModule,
} from '#herald/sip-edge';

/** The standalone sip-edge: Kafka from the environment (docs/configuration.md), SIP on HERALD_SIP_*. */
async function main(): Promise<void> {
  const logger = new Logger('SipEdge');
  const shared = loadConfig([
    ...SIP_EDGE_CONFIG_KEYS,
    ...KAFKA_BUS_CONFIG_KEYS,
    'httpPort',
    'shutdownGraceMs',
    'logLevel',
    'kafkaLingerMs',
  ]);
  const settings = loadSipEdgeSettings();
  if (shared.kafkaBrokers === undefined) throw new RangeError('sip-edge needs KAFKA_BROKERS');
  const tls =
    settings.tlsCertFile === undefined || settings.tlsKeyFile === undefined
      ? undefined
      : { cert: readFileSync(settings.tlsCertFile), key: readFileSync(settings.tlsKeyFile) };
  const config = sipEdgeConfigFrom(shared, settings, tls);
  const graceMs = shared.shutdownGraceMs;
  const bus = new KafkaEventBus({
    brokers: shared.kafkaBrokers,
    clientId: `${shared.kafkaClientId}-edge-${config.edgeId}`,
    ...kafkaTimingOf(shared),
    security: kafkaSecurityOf(shared),
    logLevel: shared.kafkaLogLevel,
    handlerConcurrency: shared.busHandlerConcurrency,
    createTopics: shared.kafkaCreateTopics,
    // A REGISTER's 200 waits on auth's decision anyway: a few ms for company mean fewer produces.
    lingerTopics: [SIP_REGISTER_REQUESTED_V1],
    lingerMs: shared.kafkaLingerMs,
  });
  // Creates them (development) or checks they exist (HERALD_KAFKA_CREATE_TOPICS=false, Kubernetes).
  await bus.ensureTopics(FIXED_TOPICS);
  // The edge link (HERALD_EDGE_LINK_PORT, off = Kafka only): started before the edge listens, stopped in its drain.
  const link = edgeLinkListenOf(settings);
  const edgeModule = SipEdgeModule.register({
    bus,
    config,
    drainTimeoutMs: drainBudgetMs(graceMs),
    ...(link === undefined ? {} : { link }),
  });
  // Readiness leaves Kafka out: during a Kafka outage the edges stay in the load balancer and
  // answer 503 with Retry-After (protocol.md §2), which clients handle; an edge out of it is silence.
  const app = await NestFactory.create(
    OperationsModule.around(edgeModule, probesWithEdgeReadiness(edgeModule, [])),
  );
  await listenForOperations(app, shared, `sip-edge ${config.edgeId}`, logger);

  exitGracefullyOnSignals({
    name: `sip-edge ${config.edgeId}`,
    graceMs,
    stop: async () => {
      // The edge answers new requests 503, finishes live transactions, stops its consumer and its
      // link server; then the bus flushes (outcomes the link no longer takes went to it).
      await app.close();
      await bus.close();
    },
  });
}

runServiceMain('SipEdge', main);
