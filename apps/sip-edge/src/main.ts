import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaEventBus } from '#herald/bus';
import {
  KAFKA_GROUP_CONFIG_KEYS,
  KAFKA_SECURITY_CONFIG_KEYS,
  kafkaGroupTimingOf,
  kafkaSecurityOf,
  loadConfig,
  loadSipEdgeSettings,
} from '#herald/config';
import { FIXED_TOPICS } from '#herald/contracts';
import { exitGracefullyOnSignals, kafkaProbe, OperationsModule } from '#herald/observability';
import { listenForOperations, runServiceMain } from '#herald/runtime';
import {
  SIP_EDGE_CONFIG_KEYS,
  sipEdgeConfigFrom,
  probesWithEdgeReadiness,
  drainBudgetMs,
  SipEdgeModule,
} from '#herald/sip-edge';

/** The standalone sip-edge: Kafka from the environment (docs/configuration.md), SIP on HERALD_SIP_*. */
async function main(): Promise<void> {
  const logger = new Logger('SipEdge');
  const shared = loadConfig([
    ...SIP_EDGE_CONFIG_KEYS,
    'kafkaBrokers',
    'kafkaClientId',
    ...KAFKA_GROUP_CONFIG_KEYS,
    ...KAFKA_SECURITY_CONFIG_KEYS,
    'kafkaLogLevel',
    'busHandlerConcurrency',
    'httpPort',
    'shutdownGraceMs',
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
    ...kafkaGroupTimingOf(shared),
    security: kafkaSecurityOf(shared),
    logLevel: shared.kafkaLogLevel,
    handlerConcurrency: shared.busHandlerConcurrency,
  });
  await bus.ensureTopics(FIXED_TOPICS);
  const edgeModule = SipEdgeModule.register({ bus, config, drainTimeoutMs: drainBudgetMs(graceMs) });
  const app = await NestFactory.create(
    OperationsModule.around(edgeModule, probesWithEdgeReadiness(edgeModule, [kafkaProbe(bus)])),
  );
  await listenForOperations(app, shared, `sip-edge ${config.edgeId}`, logger);

  exitGracefullyOnSignals({
    name: `sip-edge ${config.edgeId}`,
    graceMs,
    log: (message) => logger.log(message),
    stop: async () => {
      // The edge answers new requests 503, finishes live transactions, stops its consumer; then the bus flushes.
      await app.close();
      await bus.close();
    },
  });
}

runServiceMain('SipEdge', main);
