import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { logTo, METRIC_NAMES } from '#herald/observability';
import { type GroupOffsetsReader, observeConsumerLag } from './consumer-lag';

/** Longer than the test: nothing refreshes or exports unless asked. */
const NEVER_MS = 3_600_000;

describe('observeConsumerLag', () => {
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let provider: MeterProvider;

  beforeEach(() => {
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: NEVER_MS });
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
  });
  afterEach(async () => {
    await provider.shutdown();
    metrics.disable();
  });

  async function lagByPartition(): Promise<Record<string, unknown>> {
    exporter.reset();
    await reader.forceFlush();
    const lag = exporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
      .find((metric) => metric.descriptor.name === METRIC_NAMES.kafkaConsumerLag);
    return Object.fromEntries(
      (lag?.dataPoints ?? []).map((point) => [
        `${String(point.attributes['group'])}/${String(point.attributes['topic'])}/${String(point.attributes['partition'])}`,
        point.value,
      ]),
    );
  }

  it("is the log end minus the group's committed offset, from the oldest record kept when none is committed", async () => {
    const offsets: GroupOffsetsReader = {
      committed: async () => [
        { topic: 't', partition: 0, offset: '5' },
        { topic: 't', partition: 1, offset: '-1' },
      ],
      logEnds: async () => [
        { partition: 0, high: '12', low: '0' },
        { partition: 1, high: '10', low: '3' },
        { partition: 2, high: '4', low: '4' },
      ],
    };
    const lag = observeConsumerLag('g', ['t'], offsets, { refreshMs: NEVER_MS });
    try {
      await lag.refresh();
      expect(await lagByPartition()).toEqual({ 'g/t/0': 7, 'g/t/1': 7, 'g/t/2': 0 });
    } finally {
      lag.stop();
    }
  });

  it('keeps the last reading and logs KAFKA_LAG_READ_FAILED when the broker does not answer', async () => {
    let down = false;
    const offsets: GroupOffsetsReader = {
      committed: async () => {
        if (down) throw new Error('broker down');
        return [{ topic: 't', partition: 0, offset: '2' }];
      },
      logEnds: async () => [{ partition: 0, high: '3', low: '0' }],
    };
    const lines: Record<string, unknown>[] = [];
    const restore = logTo({ write: (line: string) => void lines.push(JSON.parse(line)) });
    const lag = observeConsumerLag('g', ['t'], offsets, { refreshMs: NEVER_MS });
    try {
      await lag.refresh();
      down = true;
      await lag.refresh();
      expect(await lagByPartition()).toEqual({ 'g/t/0': 1 });
      expect(lines).toEqual([
        expect.objectContaining({ level: 'warn', code: 'KAFKA_LAG_READ_FAILED', group: 'g' }),
      ]);
    } finally {
      lag.stop();
      restore();
    }
  });
});
