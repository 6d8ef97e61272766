import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { KafkaEventBus, type ConsumedRecord } from '#herald/bus';
import {
  heraldMetrics,
  inSpan,
  kafkaProbe,
  OperationsModule,
  postgresProbe,
  shutdownTelemetry,
  SPAN_ATTRIBUTES,
  SpanKind,
  startTelemetry,
} from '#herald/observability';
import { requireDatabaseUrl, requireKafkaBrokers } from '../support/env';
import { uniqueGroupId, uniqueTopic } from '../support/topics';
import { waitFor } from '../support/wait-for';
import { OtlpReceiver } from './otlp-receiver';

const RECORD_WAIT_MS = 30_000;
/** A port nothing listens on: PostgreSQL "down" for the readiness check. */
const CLOSED_PORT_URL = 'postgres://postgres@127.0.0.1:1/none';
/** Two consumer group joins on a shared, loaded machine take longer than jest's default 5 s. */
const TEST_TIMEOUT_MS = 60_000;

@Module({})
class NoServiceModule {}

// One IM's spans across the real apps are checked in one-im-trace.test.ts; here the SDK runs inside
// jest (scripts/test.sh gives jest --experimental-vm-modules, which the exporter's dynamic import
// of its HTTP agent needs) and exports to a real OTLP receiver on loopback.
describe('observability in process (real Kafka and PostgreSQL)', () => {
  jest.setTimeout(TEST_TIMEOUT_MS);
  const brokers = requireKafkaBrokers();
  let edgeBus: KafkaEventBus;
  let serviceBus: KafkaEventBus;
  let pool: Pool;
  let app: INestApplication;
  let baseUrl: string;
  const receiver = new OtlpReceiver();

  beforeAll(async () => {
    // An endpoint makes the SDK record spans (without one it installs no tracer at all).
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: await receiver.start(),
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    startTelemetry({ serviceName: 'herald-observability-test' });
    edgeBus = new KafkaEventBus({ brokers, clientId: 'otel-edge', logLevel: 'nothing' });
    serviceBus = new KafkaEventBus({ brokers, clientId: 'otel-service', logLevel: 'nothing' });
    pool = new Pool({ connectionString: requireDatabaseUrl(), max: 1 });
    app = await NestFactory.create(
      OperationsModule.around({ module: NoServiceModule }, [postgresProbe(pool), kafkaProbe(edgeBus)]),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
    await Promise.all([edgeBus.close(), serviceBus.close()]);
    await pool.end();
    await shutdownTelemetry();
    await receiver.stop();
  });

  it('carries the trace of a request at the edge through a service to the edge that gets the answer (Kafka headers)', async () => {
    const commands = uniqueTopic('otel.commands');
    const outbound = uniqueTopic('otel.outbound');
    await edgeBus.ensureTopics([commands, outbound]);
    await serviceBus.subscribe({
      groupId: uniqueGroupId('otel-service'),
      topics: [commands],
      handler: (record) =>
        serviceBus.publish([{ topic: outbound, key: record.key, value: Buffer.from('push') }]),
    });
    const delivered: ConsumedRecord[] = [];
    await edgeBus.subscribe({
      groupId: uniqueGroupId('otel-edge'),
      topics: [outbound],
      handler: async (record) => {
        delivered.push(record);
      },
    });

    const traceId = await inSpan(
      'SIP MESSAGE',
      { kind: SpanKind.SERVER, attributes: { [SPAN_ATTRIBUTES.sipMethod]: 'MESSAGE' } },
      async (span) => {
        await edgeBus.publish([{ topic: commands, key: 'sip:alice@herald.local', value: Buffer.from('im') }]);
        return span.spanContext().traceId;
      },
    );
    await waitFor(() => delivered.length === 1, RECORD_WAIT_MS, 'the answer at the edge');

    // The service's publish continued the request's trace: the edge's record carries its trace id.
    expect(delivered[0]!.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('serves /metrics in the Prometheus format with the counters moving', async () => {
    const scrape = async (): Promise<string> => (await fetch(`${baseUrl}/metrics`)).text();
    const requestsOf = (text: string): number =>
      Number(/^herald_sip_requests_total\{method="MESSAGE",code="200"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
    const before = requestsOf(await scrape());
    heraldMetrics().sipRequest('MESSAGE', 200);
    heraldMetrics().sipRequest('MESSAGE', 200);
    const after = await scrape();
    expect(requestsOf(after)).toBe(before + 2);
    // The consumers of the first test reported how far behind the log end they are.
    expect(after).toMatch(/^herald_kafka_consumer_lag\{[^}]*group="[^"]+"[^}]*\} \d+/m);
  });

  it('is ready while Kafka and PostgreSQL answer, and not ready while one is down', async () => {
    const live = await fetch(`${baseUrl}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { postgres: { status: 'up' }, kafka: { status: 'up' } },
    });

    const downPool = new Pool({ connectionString: CLOSED_PORT_URL, max: 1 });
    const degraded = await NestFactory.create(
      OperationsModule.around({ module: NoServiceModule }, [postgresProbe(downPool), kafkaProbe(edgeBus)]),
      { logger: false },
    );
    try {
      await degraded.listen(0, '127.0.0.1');
      const port = (degraded.getHttpServer().address() as AddressInfo).port;
      const notReady = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({
        error: { postgres: { status: 'down' } },
        info: { kafka: { status: 'up' } },
      });
    } finally {
      await degraded.close();
      await downPool.end();
    }
  });
});
