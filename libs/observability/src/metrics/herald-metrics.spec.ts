import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { logTo } from '../logging';
import { heraldMetrics, METRIC_NAMES, observeCounter, observeGauge } from './herald-metrics';

/** The Helm chart's Grafana dashboard: every panel queries one of METRIC_NAMES. */
const DASHBOARD = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'deploy',
  'helm',
  'herald',
  'dashboards',
  'herald.json',
);
/** Longer than the test: the reader exports only on forceFlush. */
const EXPORT_INTERVAL_MS = 3_600_000;

describe('METRIC_NAMES', () => {
  const names = Object.values(METRIC_NAMES);

  it('are unique Prometheus names under herald_, counters ending in _total', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^herald_[a-z0-9_]+$/);
    for (const key of [
      'sipRequests',
      'sipRetransmissions',
      'sipTransactionTimeouts',
      'sipUdpReceiveDrops',
      'sipThrottled',
      'imMessagesPruned',
      'sipPushesDropped',
    ] as const) {
      expect(METRIC_NAMES[key]).toMatch(/_total$/);
    }
  });

  it('are exactly the metrics the dashboard queries', () => {
    const queried = new Set(
      [...readFileSync(DASHBOARD, 'utf8').matchAll(/herald_[a-z0-9_]+/g)].map(([name]) =>
        name.replace(/_(bucket|sum|count)$/, ''),
      ),
    );
    expect([...queried].sort()).toEqual([...names].sort());
  });
});

describe('HeraldMetrics on the SDK', () => {
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let provider: MeterProvider;

  beforeEach(() => {
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: EXPORT_INTERVAL_MS });
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
  });

  afterEach(async () => {
    await provider.shutdown();
    metrics.disable();
  });

  /** Data points per metric name at one collection. */
  async function collect(): Promise<Map<string, { value: unknown; attributes: Record<string, unknown> }[]>> {
    exporter.reset();
    await reader.forceFlush();
    const byName = new Map<string, { value: unknown; attributes: Record<string, unknown> }[]>();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          byName.set(
            metric.descriptor.name,
            metric.dataPoints.map((point) => ({ value: point.value, attributes: { ...point.attributes } })),
          );
        }
      }
    }
    return byName;
  }

  it('uses instruments of the current provider (made anew once the SDK replaced the no-op one)', async () => {
    heraldMetrics().sipRequest('INFO', 200);
    heraldMetrics().sipRequest('INFO', 200);
    heraldMetrics().sipRequest('MESSAGE', 503);
    heraldMetrics().sipRetransmission();
    const collected = await collect();
    expect(collected.get(METRIC_NAMES.sipRequests)).toEqual(
      expect.arrayContaining([
        { value: 2, attributes: { method: 'INFO', code: '200' } },
        { value: 1, attributes: { method: 'MESSAGE', code: '503' } },
      ]),
    );
    expect(collected.get(METRIC_NAMES.sipRetransmissions)).toEqual([{ value: 1, attributes: {} }]);
  });

  it("counts the retention sweep's pruned IMs, exported at 0 before the first deletion", async () => {
    heraldMetrics();
    expect((await collect()).get(METRIC_NAMES.imMessagesPruned)).toEqual([{ value: 0, attributes: {} }]);
    heraldMetrics().imMessagesPruned(500);
    heraldMetrics().imMessagesPruned(12);
    expect((await collect()).get(METRIC_NAMES.imMessagesPruned)).toEqual([{ value: 512, attributes: {} }]);
  });

  it('exports the edge link connections at 0 without a link, and their count with one', async () => {
    heraldMetrics();
    expect((await collect()).get(METRIC_NAMES.edgeLinkConnections)).toEqual([{ value: 0, attributes: {} }]);
    const remove = observeGauge('edgeLinkConnections', () => 2);
    try {
      expect((await collect()).get(METRIC_NAMES.edgeLinkConnections)).toEqual([{ value: 2, attributes: {} }]);
    } finally {
      remove();
    }
  });

  it('adds the sources of a gauge per attribute set and leaves out a failing one', async () => {
    const lines: Record<string, unknown>[] = [];
    const restoreLog = logTo({ write: (line: string) => void lines.push(JSON.parse(line)) });
    const removals = [
      observeGauge('registeredDevices', () => 3),
      observeGauge('registeredDevices', async () => 4),
      observeGauge('registeredDevices', () => Promise.reject(new Error('database down'))),
      observeGauge('kafkaConsumerLag', () => [
        { value: 5, attributes: { group: 'g', topic: 't', partition: '0' } },
        { value: 1, attributes: { group: 'g', topic: 't', partition: '1' } },
      ]),
    ];
    try {
      const collected = await collect();
      expect(collected.get(METRIC_NAMES.registeredDevices)).toEqual([{ value: 7, attributes: {} }]);
      expect(collected.get(METRIC_NAMES.kafkaConsumerLag)).toEqual(
        expect.arrayContaining([
          { value: 5, attributes: { group: 'g', topic: 't', partition: '0' } },
          { value: 1, attributes: { group: 'g', topic: 't', partition: '1' } },
        ]),
      );
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          code: 'METRIC_READ_FAILED',
          metric: METRIC_NAMES.registeredDevices,
          err: expect.objectContaining({ message: 'database down' }),
        }),
      ]);
    } finally {
      for (const remove of removals) remove();
      restoreLog();
    }
  });

  it('exports an observed counter as the monotonic sum of its sources, read at each collection', async () => {
    let kernelDrops = 190;
    const removals = [
      observeCounter('sipUdpReceiveDrops', () => kernelDrops),
      observeCounter('sipUdpReceiveDrops', () => 10),
    ];
    try {
      expect((await collect()).get(METRIC_NAMES.sipUdpReceiveDrops)).toEqual([
        { value: 200, attributes: {} },
      ]);
      kernelDrops = 250;
      expect((await collect()).get(METRIC_NAMES.sipUdpReceiveDrops)).toEqual([
        { value: 260, attributes: {} },
      ]);
      const descriptor = exporter
        .getMetrics()[0]!
        .scopeMetrics[0]!.metrics.find(
          (metric) => metric.descriptor.name === METRIC_NAMES.sipUdpReceiveDrops,
        );
      expect(descriptor).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true });
    } finally {
      for (const remove of removals) remove();
    }
  });
});
