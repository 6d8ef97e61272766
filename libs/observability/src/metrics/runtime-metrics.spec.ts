import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { observeRuntime, RUNTIME_METRIC_NAMES } from './runtime-metrics';

/** Longer than the test: the reader exports only on forceFlush. */
const EXPORT_INTERVAL_MS = 3_600_000;
/** A block of the event loop far longer than a loaded machine's scheduling noise. */
const BLOCK_MS = 300;
const BLOCK_S = BLOCK_MS / 1000;
/** Blocks tried before the lag must have been reported (see the test). */
const BLOCK_ATTEMPTS = 3;

type Collected = Map<string, ResourceMetrics['scopeMetrics'][number]['metrics'][number]>;
/** Allocation rounds before giving up on seeing a GC (a few MB each; V8 collects the young space long before). */
const MAX_ALLOCATION_ROUNDS = 200;

describe('observeRuntime', () => {
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let provider: MeterProvider;
  let stop: () => void;

  beforeEach(() => {
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: EXPORT_INTERVAL_MS });
    provider = new MeterProvider({ readers: [reader] });
    stop = observeRuntime(provider.getMeter('runtime-test'));
  });

  afterEach(async () => {
    stop();
    await provider.shutdown();
  });

  async function collect(): Promise<Collected> {
    exporter.reset();
    await reader.forceFlush();
    return new Map(
      exporter
        .getMetrics()
        .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
        .map((metric) => [metric.descriptor.name, metric]),
    );
  }

  it('reports the heap, the resident memory and the event-loop lag of this process', async () => {
    const valueIn = (collected: Collected, name: string): number => {
      const point = collected.get(name)?.dataPoints[0];
      if (point === undefined) throw new Error(`${name} missing`);
      return point.value as number;
    };
    // Block the loop: the lag the next collection reports covers it. On a loaded host (CI beside
    // other test runs) one block was once reported as 15 ms; a metric that reports no lag fails
    // every attempt.
    let collected: Collected = new Map();
    for (let attempt = 0; attempt < BLOCK_ATTEMPTS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const blockedUntil = Date.now() + BLOCK_MS;
      while (Date.now() < blockedUntil);
      await new Promise((resolve) => setTimeout(resolve, 30));
      collected = await collect();
      if (valueIn(collected, RUNTIME_METRIC_NAMES.eventLoopLagMax) >= BLOCK_S / 2) break;
    }
    const valueOf = (name: string): number => valueIn(collected, name);
    expect(valueOf(RUNTIME_METRIC_NAMES.heapUsed)).toBeGreaterThan(0);
    expect(valueOf(RUNTIME_METRIC_NAMES.heapTotal)).toBeGreaterThanOrEqual(
      valueOf(RUNTIME_METRIC_NAMES.heapUsed),
    );
    expect(valueOf(RUNTIME_METRIC_NAMES.residentMemory)).toBeGreaterThan(0);
    // The histogram's resolution timer measures its delay past that resolution: a little under the block.
    expect(valueOf(RUNTIME_METRIC_NAMES.eventLoopLagMax)).toBeGreaterThanOrEqual(BLOCK_S / 2);
    // Reset at each collection: the next interval had no such block.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const next = await collect();
    expect(next.get(RUNTIME_METRIC_NAMES.eventLoopLagMax)?.dataPoints[0]?.value).toBeLessThan(BLOCK_S / 2);
  });

  it('records garbage collection pauses by kind', async () => {
    let kept: number[][] = [];
    for (let round = 0; round < MAX_ALLOCATION_ROUNDS; round++) {
      kept = Array.from({ length: 1000 }, () => new Array<number>(100).fill(round));
      await new Promise((resolve) => setImmediate(resolve));
      const gc = (await collect()).get(RUNTIME_METRIC_NAMES.gcDuration);
      if (gc !== undefined && gc.dataPoints.length > 0) {
        expect(gc.dataPoints.map((point) => point.attributes['kind'])).toEqual(
          expect.arrayContaining([expect.stringMatching(/^(minor|major|incremental|weakcb|other)$/)]),
        );
        return;
      }
    }
    throw new Error(`no GC observed after ${MAX_ALLOCATION_ROUNDS} rounds (${kept.length} arrays kept)`);
  });
});
