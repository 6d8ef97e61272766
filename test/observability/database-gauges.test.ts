// herald_pg_pool_in_use, herald_offline_store_depth and herald_sessions read from a real PostgreSQL
// through the OpenTelemetry SDK (a MeterProvider with a manual reader as the global one).
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { observeDatabaseGauges } from '#herald/persistence';
import { METRIC_NAMES } from '#herald/observability';
import type { DataSource, QueryRunner } from 'typeorm';
import { createMigratedDataSource } from '../support/database';

/** Longer than the test: the reader only exports when asked (forceFlush). */
const EXPORT_INTERVAL_MS = 3_600_000;

describe('database gauges on real PostgreSQL', () => {
  let dataSource: DataSource;
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let provider: MeterProvider;

  beforeAll(async () => {
    dataSource = await createMigratedDataSource({ poolSize: 3 });
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: EXPORT_INTERVAL_MS });
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
  }, 60_000);

  afterAll(async () => {
    await provider?.shutdown();
    metrics.disable();
    await dataSource?.destroy();
  });

  /** The gauges' values at one collection, by metric name. */
  async function collect(): Promise<Map<string, number>> {
    exporter.reset();
    await reader.forceFlush();
    const values = new Map<string, number>();
    for (const resourceMetrics of exporter.getMetrics()) {
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          const point = metric.dataPoints[0];
          if (point !== undefined && typeof point.value === 'number')
            values.set(metric.descriptor.name, point.value);
        }
      }
    }
    return values;
  }

  async function insertMessage(id: string, delivered: boolean): Promise<void> {
    await dataSource.query(
      `INSERT INTO messages (sender_aor, command_id, message_id, recipient_aor, text, sent_at, delivered_at)
       VALUES ('sip:alice@herald.test', $1, $1, 'sip:bob@herald.test', 'hi', now(), $2)`,
      [id, delivered ? new Date() : null],
    );
  }

  it('reports connections checked out, undelivered IMs and sessions', async () => {
    const stop = observeDatabaseGauges(dataSource, ['offlineStoreDepth', 'sessions']);
    await insertMessage('m-1', false);
    await insertMessage('m-2', false);
    await insertMessage('m-3', true);
    const held: QueryRunner = dataSource.createQueryRunner();
    await held.connect();
    let during: Map<string, number>;
    try {
      during = await collect();
    } finally {
      await held.release();
    }
    // The held connection, plus the one a count query holds while the pool gauge may be read.
    expect(during.get(METRIC_NAMES.pgPoolInUse)).toBeGreaterThanOrEqual(1);
    expect(during.get(METRIC_NAMES.offlineStoreDepth)).toBe(2);
    expect(during.get(METRIC_NAMES.sessions)).toBe(0);

    await dataSource.query(`UPDATE messages SET delivered_at = now() WHERE message_id = 'm-1'`);
    const after = await collect();
    expect(after.get(METRIC_NAMES.offlineStoreDepth)).toBe(1);

    stop();
  }, 60_000);
});
