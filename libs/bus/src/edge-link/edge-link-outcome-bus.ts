import { heraldMetrics, injectTraceContext, spansAreInert } from '#herald/observability';
import type { BusRecord, EventBus, PublishOptions, Subscription, SubscriptionHandle } from '../event-bus';
import type { OutcomeLink } from './edge-link-server';
import { originOfOutcome } from './link-topics';

type OutgoingRecord = Omit<BusRecord, 'headers'> & PublishOptions;

/** The outcomes of one origin published in one event-loop turn: they leave in one frame. */
interface OutcomeBatch {
  records: BusRecord[];
  /** Each publish's share of the frame: [start, end) with the publish's settlement. */
  shares: Array<{ start: number; end: number; resolve(): void; reject(error: unknown): void }>;
}

/**
 * The edge's bus: `sip.push-outcome.<origin>.v1` records go over a link connection of that origin
 * when one is connected and acknowledges, else to the inner bus; everything else goes to the inner
 * bus. The outcomes of one event-loop turn go to each origin in one frame (fewer writes, as the
 * produce pass batches); the part of a frame the service did not handle is published to the inner
 * bus, and each publish resolves once its records are handled or acknowledged by the inner bus.
 */
export class EdgeLinkOutcomeBus implements EventBus {
  private readonly batches = new Map<string, OutcomeBatch>();
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly inner: EventBus,
    private readonly server: OutcomeLink,
  ) {}

  async publish(records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    let toOrigins: Map<string, OutgoingRecord[]> | undefined;
    const toInner: OutgoingRecord[] = [];
    let untaken = 0;
    for (const record of records) {
      const origin = originOfOutcome(record.topic);
      if (origin === undefined) {
        toInner.push(record);
      } else if (!this.server.takesOutcomes(origin)) {
        untaken += 1;
        toInner.push(record);
      } else {
        toOrigins ??= new Map();
        const originRecords = toOrigins.get(origin) ?? [];
        originRecords.push(record);
        toOrigins.set(origin, originRecords);
      }
    }
    // Outcomes of an origin no connection takes (none connected, or an old release's) go to Kafka now.
    if (untaken > 0) heraldMetrics().edgeLinkRecords('to-service', 'fallback', untaken);
    if (toOrigins === undefined) {
      return this.inner.publish(records);
    }
    const sends = [...toOrigins].map(([origin, originRecords]) => this.batched(origin, originRecords));
    if (toInner.length > 0) sends.push(this.inner.publish(toInner));
    await Promise.all(sends);
  }

  subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    return this.inner.subscribe(subscription);
  }

  ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  /** Waits for the frames in flight (and their fallbacks), then closes the inner bus. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await Promise.all(this.flushing);
    await this.inner.close();
  }

  /** Adds records to this turn's frame for `origin`; resolves once they are handled or on the inner bus. */
  private batched(origin: string, records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    let batch = this.batches.get(origin);
    if (batch === undefined) {
      const opened: OutcomeBatch = { records: [], shares: [] };
      this.batches.set(origin, opened);
      setImmediate(() => {
        this.batches.delete(origin);
        const flushed = this.flush(origin, opened);
        this.flushing.add(flushed);
        void flushed.finally(() => this.flushing.delete(flushed));
      });
      batch = opened;
    }
    const start = batch.records.length;
    // The trace context is the publisher's: taken now, not in the turn the frame leaves.
    const inert = spansAreInert();
    for (const record of records) {
      batch.records.push({
        ...record,
        headers: inert ? (record.headers ?? {}) : injectTraceContext(record.headers),
      });
    }
    const shares = batch.shares;
    return new Promise((resolve, reject) =>
      shares.push({ start, end: batch.records.length, resolve, reject }),
    );
  }

  private async flush(origin: string, batch: OutcomeBatch): Promise<void> {
    try {
      const handled = await this.server.sendToOrigin(origin, batch.records);
      const waiting = batch.shares.filter((share) => {
        if (share.end <= handled) share.resolve();
        return share.end > handled;
      });
      if (waiting.length === 0) return;
      try {
        await this.inner.publish(batch.records.slice(handled));
        for (const share of waiting) share.resolve();
      } catch (error) {
        for (const share of waiting) share.reject(error);
      }
    } catch (error) {
      for (const share of batch.shares) share.reject(error);
    }
  }
}
