import { metrics, type Attributes, type MeterProvider, type ObservableResult } from '@opentelemetry/api';
import { componentLogger } from '../logging';
import { RUNTIME_METRIC_NAMES } from './runtime-metrics';

/** The metric names the Helm chart's dashboard and alerts query (deploy/helm/herald/README.md). */
export const METRIC_NAMES = {
  ...RUNTIME_METRIC_NAMES,
  sipRequests: 'herald_sip_requests_total',
  sipRetransmissions: 'herald_sip_retransmissions_total',
  sipTransactionTimeouts: 'herald_sip_transaction_timeouts_total',
  registeredDevices: 'herald_registered_devices',
  sessions: 'herald_sessions',
  imDeliveryLatency: 'herald_im_delivery_latency_seconds',
  imMessagesPruned: 'herald_im_messages_pruned_total',
  presenceFanoutSize: 'herald_presence_fanout_size',
  offlineStoreDepth: 'herald_offline_store_depth',
  kafkaConsumerLag: 'herald_kafka_consumer_lag',
  pgPoolInUse: 'herald_pg_pool_in_use',
  pgPoolMax: 'herald_pg_pool_max',
  busHandlerRetries: 'herald_bus_handler_retries_total',
  edgeReady: 'herald_edge_ready',
  sipUdpReceiveDrops: 'herald_sip_udp_receive_drops_total',
  sipThrottled: 'herald_sip_throttled_total',
  sipPushesDropped: 'herald_sip_pushes_dropped_total',
  sipBansActive: 'herald_sip_bans_active',
  edgeLinkRecords: 'herald_edge_link_records_total',
  edgeLinkConnections: 'herald_edge_link_connections',
  groupCommitSize: 'herald_group_commit_size',
  groupCommitDuration: 'herald_group_commit_duration_seconds',
} as const;

/** Why the edge refused or dropped a request (herald_sip_throttled_total's `reason`). */
export const THROTTLE_REASONS = ['source-rate', 'account-backoff', 'banned'] as const;
export type ThrottleReason = (typeof THROTTLE_REASONS)[number];

/**
 * Why the edge sent a push (or NOTIFY) to no one, reporting `no-flow` (herald_sip_pushes_dropped_total's
 * `reason`): its flow is not held here or closed, no REGISTER bound its UDP flow here in time, or
 * the flow now carries another device.
 */
export const PUSH_DROP_REASONS = ['flow-gone', 'flow-unbound', 'flow-reused'] as const;
export type PushDropReason = (typeof PUSH_DROP_REASONS)[number];

/** Which way records crossed the edge link (herald_edge_link_records_total's `direction`). */
export const EDGE_LINK_DIRECTIONS = ['to-edge', 'to-service'] as const;
export type EdgeLinkDirection = (typeof EDGE_LINK_DIRECTIONS)[number];
/** Handled over the link, or published to Kafka instead (herald_edge_link_records_total's `result`). */
export const EDGE_LINK_RESULTS = ['linked', 'fallback'] as const;
export type EdgeLinkResult = (typeof EDGE_LINK_RESULTS)[number];

/** The gauges: their value is read from the owner (a registry, the database, the consumer) at collection. */
export type GaugeName =
  | 'registeredDevices'
  | 'sessions'
  | 'offlineStoreDepth'
  | 'kafkaConsumerLag'
  | 'pgPoolInUse'
  | 'pgPoolMax'
  | 'edgeReady'
  | 'sipBansActive'
  | 'edgeLinkConnections';

const GAUGE_DESCRIPTIONS: Record<GaugeName, string> = {
  registeredDevices: 'registered devices (bindings)',
  sessions: 'logged-in device sessions',
  offlineStoreDepth: 'IMs waiting in the offline store',
  kafkaConsumerLag:
    "records between the group's committed offset and the log end (the broker's view), by group, topic and partition",
  pgPoolInUse: 'PostgreSQL connections checked out of the pool',
  pgPoolMax: 'PostgreSQL connections the pool may open',
  edgeReady: '1 while the SIP edge takes traffic (listening, not draining), else 0',
  sipBansActive: 'source addresses the edge bans (drops silently) now',
  edgeLinkConnections: 'edge link connections open now (edge: accepted from services; service: to edges)',
};

/**
 * Gauges exported at 0 by a process with no source for them: an app without the edge link has no
 * link connection, a truth the dashboard can chart (and every app serves the metric).
 */
const ZERO_WITHOUT_SOURCES: ReadonlySet<ObservedName> = new Set<GaugeName>(['edgeLinkConnections']);

/** Counters another party keeps (the kernel), read at collection: cumulative since that party began counting. */
export type ObservedCounterName = 'sipUdpReceiveDrops';

const OBSERVED_COUNTER_DESCRIPTIONS: Record<ObservedCounterName, string> = {
  sipUdpReceiveDrops:
    "datagrams the kernel dropped on the edge's UDP sockets because their receive queue was full",
};

/** Everything read from its owner at collection. */
type ObservedName = GaugeName | ObservedCounterName;

/** Seconds from im.send accepted to the recipient's 200 OK: LAN milliseconds up to Timer F (32 s). */
const DELIVERY_LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 32];
/** Items of one group commit: 1 at low load, up to GROUP_COMMIT_MAX_ITEMS (256) under load. */
const GROUP_COMMIT_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** A group's transaction or publish: a few milliseconds, hundreds when the database or the peer is slow. */
const GROUP_COMMIT_DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Devices one presence change is pushed to. */
const FANOUT_SIZE_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** One reading of a gauge or observed counter: a value, with attributes when it has several series. */
export interface ObservedReading {
  value: number;
  attributes?: Attributes;
}

/** Reads the current value(s); may query (a failed read is reported, the series skipped). */
export type ObservedSource = () =>
  number | ReadonlyArray<ObservedReading> | Promise<number | ReadonlyArray<ObservedReading>>;

/** Herald's instruments on the global meter provider (no-ops until the SDK has started). */
export class HeraldMetrics {
  private readonly sipRequestCounter;
  private readonly retransmissionCounter;
  private readonly timeoutCounter;
  private readonly deliveryLatency;
  private readonly fanoutSize;
  private readonly handlerRetries;
  private readonly throttledCounter;
  private readonly prunedMessagesCounter;
  private readonly pushesDroppedCounter;
  private readonly edgeLinkRecordsCounter;
  private readonly groupCommitSize;
  private readonly groupCommitDuration;

  constructor(provider: MeterProvider) {
    const meter = provider.getMeter('herald');
    this.sipRequestCounter = meter.createCounter(METRIC_NAMES.sipRequests, {
      description: 'SIP requests handled by the edge, by method and final response code',
    });
    this.retransmissionCounter = meter.createCounter(METRIC_NAMES.sipRetransmissions, {
      description: 'UDP retransmissions sent (Timer E)',
    });
    this.timeoutCounter = meter.createCounter(METRIC_NAMES.sipTransactionTimeouts, {
      description: 'client transactions that hit Timer F',
    });
    this.deliveryLatency = meter.createHistogram(METRIC_NAMES.imDeliveryLatency, {
      description: "im.send accepted to the recipient device's 200 OK",
      unit: 's',
      advice: { explicitBucketBoundaries: DELIVERY_LATENCY_BUCKETS_S },
    });
    this.fanoutSize = meter.createHistogram(METRIC_NAMES.presenceFanoutSize, {
      description: 'devices one presence change is pushed to',
      advice: { explicitBucketBoundaries: FANOUT_SIZE_BUCKETS },
    });
    this.groupCommitSize = meter.createHistogram(METRIC_NAMES.groupCommitSize, {
      description: "items (records) of one group commit of a service's handler, by group",
      advice: { explicitBucketBoundaries: GROUP_COMMIT_SIZE_BUCKETS },
    });
    this.groupCommitDuration = meter.createHistogram(METRIC_NAMES.groupCommitDuration, {
      description: "one group commit's transaction, or its publish after the commit, by group and phase",
      unit: 's',
      advice: { explicitBucketBoundaries: GROUP_COMMIT_DURATION_BUCKETS_S },
    });
    this.handlerRetries = meter.createCounter(METRIC_NAMES.busHandlerRetries, {
      description: 'failed handler attempts of consumed records (each is retried), by topic',
    });
    this.prunedMessagesCounter = meter.createCounter(METRIC_NAMES.imMessagesPruned, {
      description:
        'delivered IMs (with their delivery attempts) deleted past HERALD_IM_MESSAGE_RETENTION_DAYS',
    });
    // Counters start at 0 rather than appear with their first event, so rate() and the alerts see them.
    this.retransmissionCounter.add(0);
    this.timeoutCounter.add(0);
    this.prunedMessagesCounter.add(0);
    this.throttledCounter = meter.createCounter(METRIC_NAMES.sipThrottled, {
      description:
        'SIP requests the edge refused (503: source-rate, account-backoff) or dropped (banned) as abuse',
    });
    for (const reason of THROTTLE_REASONS) this.throttledCounter.add(0, { reason });
    this.pushesDroppedCounter = meter.createCounter(METRIC_NAMES.sipPushesDropped, {
      description: 'pushes and NOTIFYs the edge sent to no one (outcome no-flow), by reason',
    });
    for (const reason of PUSH_DROP_REASONS) this.pushesDroppedCounter.add(0, { reason });
    this.edgeLinkRecordsCounter = meter.createCounter(METRIC_NAMES.edgeLinkRecords, {
      description:
        'records addressed over the edge link, by direction, handled by the peer (linked) or published to Kafka instead (fallback)',
    });
    for (const direction of EDGE_LINK_DIRECTIONS) {
      for (const result of EDGE_LINK_RESULTS) this.edgeLinkRecordsCounter.add(0, { direction, result });
    }
    for (const name of Object.keys(GAUGE_DESCRIPTIONS) as GaugeName[]) {
      meter
        .createObservableGauge(METRIC_NAMES[name], { description: GAUGE_DESCRIPTIONS[name] })
        .addCallback((result) => collectObserved(name, result));
    }
    for (const name of Object.keys(OBSERVED_COUNTER_DESCRIPTIONS) as ObservedCounterName[]) {
      meter
        .createObservableCounter(METRIC_NAMES[name], { description: OBSERVED_COUNTER_DESCRIPTIONS[name] })
        .addCallback((result) => collectObserved(name, result));
    }
  }

  sipRequest(method: string, code: number): void {
    this.sipRequestCounter.add(1, { method, code: String(code) });
  }

  sipThrottled(reason: ThrottleReason): void {
    this.throttledCounter.add(1, { reason });
  }

  sipPushDropped(reason: PushDropReason): void {
    this.pushesDroppedCounter.add(1, { reason });
  }

  edgeLinkRecords(direction: EdgeLinkDirection, result: EdgeLinkResult, count: number): void {
    this.edgeLinkRecordsCounter.add(count, { direction, result });
  }

  sipRetransmission(): void {
    this.retransmissionCounter.add(1);
  }

  sipTransactionTimeout(): void {
    this.timeoutCounter.add(1);
  }

  imDelivered(latencySeconds: number): void {
    this.deliveryLatency.record(latencySeconds);
  }

  /** Delivered IMs one committed batch of the retention sweep deleted. */
  imMessagesPruned(count: number): void {
    this.prunedMessagesCounter.add(count);
  }

  /** A group of `group` (`im-router`, `registrar`) committed `items` in a transaction of `ms`. */
  groupCommitted(group: string, items: number, ms: number): void {
    this.groupCommitSize.record(items, { group });
    this.groupCommitDuration.record(ms / 1_000, { group, phase: 'transaction' });
  }

  /** A group of `group` published what it committed in `ms`. */
  groupPublished(group: string, ms: number): void {
    this.groupCommitDuration.record(ms / 1_000, { group, phase: 'publish' });
  }

  presenceFanout(devices: number): void {
    this.fanoutSize.record(devices);
  }

  handlerRetry(topic: string): void {
    this.handlerRetries.add(1, { topic });
  }

  /** Starts the retry count of each consumed topic at 0 (called once per subscription). */
  consumingTopics(topics: ReadonlyArray<string>): void {
    for (const topic of topics) this.handlerRetries.add(0, { topic });
  }
}

/**
 * What a service's group commit reports, for `group` (the domain's GroupObserver, by shape): its
 * size and transaction time, then its publish time.
 */
export function groupCommitMeter(group: string): {
  transaction(items: number, ms: number): void;
  published(ms: number): void;
} {
  return {
    transaction: (items, ms) => heraldMetrics().groupCommitted(group, items, ms),
    published: (ms) => heraldMetrics().groupPublished(group, ms),
  };
}

let instance: { provider: MeterProvider; metrics: HeraldMetrics } | undefined;

/**
 * Herald's metrics on the current global meter provider. The API has no proxy provider for
 * metrics, so instruments are made anew once the SDK has replaced the no-op provider.
 */
export function heraldMetrics(): HeraldMetrics {
  const provider = metrics.getMeterProvider();
  if (instance === undefined || instance.provider !== provider) {
    instance = { provider, metrics: new HeraldMetrics(provider) };
  }
  return instance.metrics;
}

/** Sources live outside the instruments, so a source added before the SDK started still counts. */
const observedSources = new Map<ObservedName, Set<ObservedSource>>();

/**
 * Adds a source to a gauge, read at every collection (several sources of one gauge add up per
 * attribute set); returns its removal, to call when the owner stops.
 */
export function observeGauge(name: GaugeName, source: ObservedSource): () => void {
  return addObservedSource(name, source);
}

/**
 * Adds a source of a cumulative count kept elsewhere (the kernel's), read at every collection like
 * a gauge's; returns its removal, to call when the owner stops.
 */
export function observeCounter(name: ObservedCounterName, source: ObservedSource): () => void {
  return addObservedSource(name, source);
}

function addObservedSource(name: ObservedName, source: ObservedSource): () => void {
  const sources = observedSources.get(name) ?? new Set<ObservedSource>();
  sources.add(source);
  observedSources.set(name, sources);
  // Instruments exist only once asked for: make sure the gauge is registered with the provider.
  heraldMetrics();
  return () => {
    sources.delete(source);
  };
}

async function collectObserved(name: ObservedName, result: ObservableResult): Promise<void> {
  const totals = new Map<string, ObservedReading>();
  if (ZERO_WITHOUT_SOURCES.has(name) && (observedSources.get(name)?.size ?? 0) === 0) {
    result.observe(0);
    return;
  }
  for (const source of observedSources.get(name) ?? []) {
    let read: number | ReadonlyArray<ObservedReading>;
    try {
      read = await source();
    } catch (error) {
      // A source that fails (database down) is left out of this collection; readiness reports the outage.
      componentLogger('Metrics').warn(
        { code: 'METRIC_READ_FAILED', metric: METRIC_NAMES[name], err: error },
        'reading a gauge failed; its series is left out of this collection',
      );
      continue;
    }
    for (const reading of typeof read === 'number' ? [{ value: read }] : read) {
      const key = JSON.stringify(reading.attributes ?? {});
      const total = totals.get(key);
      totals.set(key, { value: (total?.value ?? 0) + reading.value, attributes: reading.attributes });
    }
  }
  for (const { value, attributes } of totals.values()) {
    result.observe(value, attributes);
  }
}
