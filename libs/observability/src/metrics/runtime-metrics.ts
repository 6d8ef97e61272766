import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { constants } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';

/** The Node.js runtime's metrics (names in METRIC_NAMES, documented in docs/observability.md). */
export const RUNTIME_METRIC_NAMES = {
  eventLoopLagP99: 'herald_nodejs_eventloop_lag_p99_seconds',
  eventLoopLagMax: 'herald_nodejs_eventloop_lag_max_seconds',
  heapUsed: 'herald_nodejs_heap_used_bytes',
  heapTotal: 'herald_nodejs_heap_total_bytes',
  residentMemory: 'herald_nodejs_resident_memory_bytes',
  gcDuration: 'herald_nodejs_gc_duration_seconds',
} as const;

/** Resolution of the event-loop delay histogram: fine enough for the 10 ms a SIP timer cares about. */
const EVENT_LOOP_RESOLUTION_MS = 10;
const NS_PER_S = 1e9;
const MS_PER_S = 1e3;
/** A pause of the world: minor GCs take well under a millisecond, a major one of a large heap 100s. */
const GC_DURATION_BUCKETS_S = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * Event-loop lag, heap and GC pauses on `meter`. The lag histogram is sampled by libuv's timer
 * (not per request) and reset at each collection, so each scrape reports the interval since the
 * last one; the GC observer is called once per collection cycle of V8, never per request.
 * Returns the stop (the observer and the histogram are process-wide resources).
 */
export function observeRuntime(meter: Meter): () => void {
  const lag = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  lag.enable();
  const gauge = (name: string, description: string, unit: string) =>
    meter.createObservableGauge(name, { description, unit });
  const lagP99 = gauge(
    RUNTIME_METRIC_NAMES.eventLoopLagP99,
    'event-loop delay, 99th percentile since the previous collection',
    's',
  );
  const lagMax = gauge(
    RUNTIME_METRIC_NAMES.eventLoopLagMax,
    'event-loop delay, maximum since the previous collection',
    's',
  );
  const heapUsed = gauge(RUNTIME_METRIC_NAMES.heapUsed, 'V8 heap in use', 'By');
  const heapTotal = gauge(RUNTIME_METRIC_NAMES.heapTotal, 'V8 heap reserved', 'By');
  const resident = gauge(RUNTIME_METRIC_NAMES.residentMemory, 'resident set size of the process', 'By');
  meter.addBatchObservableCallback(
    (result) => {
      // The histogram counts libuv's extra delay past the resolution; nothing sampled yet reads NaN.
      result.observe(lagP99, lag.count === 0 ? 0 : lag.percentile(99) / NS_PER_S);
      result.observe(lagMax, lag.count === 0 ? 0 : lag.max / NS_PER_S);
      lag.reset();
      const memory = process.memoryUsage();
      result.observe(heapUsed, memory.heapUsed);
      result.observe(heapTotal, memory.heapTotal);
      result.observe(resident, memory.rss);
    },
    [lagP99, lagMax, heapUsed, heapTotal, resident],
  );
  const gcDuration = meter.createHistogram(RUNTIME_METRIC_NAMES.gcDuration, {
    description: 'garbage collection pauses, by kind',
    unit: 's',
    advice: { explicitBucketBoundaries: GC_DURATION_BUCKETS_S },
  });
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcDuration.record(entry.duration / MS_PER_S, { kind: gcKindOf(entry) });
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return () => {
    gc.disconnect();
    lag.disable();
  };
}

function gcKindOf(entry: PerformanceEntry): string {
  // Node puts the GC's kind in `detail` of 'gc' entries; the DOM type does not declare it.
  const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
  return GC_KINDS[detail?.kind ?? -1] ?? 'other';
}
