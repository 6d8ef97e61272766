import { heraldMetrics, injectTraceContext, spansAreInert } from '#herald/observability';
import type { BusRecord, EventBus, PublishOptions, Subscription, SubscriptionHandle } from '../event-bus';
import { insideAwaitedPublish } from './awaited-by-frame';
import type { OutcomeLink } from './edge-link-server';
import { EDGE_LINK_MAX_RECORDS_PER_FRAME } from './link-frame';
import { originOfOutcome, routeOverLink } from './link-topics';

type OutgoingRecord = Omit<BusRecord, 'headers'> & PublishOptions;

/** Outcomes that leave in one frame. */
interface OutcomeBatch {
  records: BusRecord[];
  /** Each publish's share of the frame: [start, end) with the publish's settlement. */
  shares: Array<{ start: number; end: number; resolve(): void; reject(error: unknown): void }>;
}

/** One origin's outcomes: the frames waiting to leave, and how many are in flight. */
interface OriginQueue {
  waiting: OutcomeBatch[];
  inFlight: number;
  /** A send pass is due at the end of this event-loop turn. */
  scheduled: boolean;
}

/**
 * The edge's bus: `sip.push-outcome.<origin>.v1` records go over a link connection of that origin
 * when one is connected and acknowledges, else to the inner bus; everything else goes to the inner
 * bus. Outcomes of one origin leave in frames, one in flight per connection of the origin: the
 * outcomes published while they are all in flight join the next frame, as the Kafka bus produces
 * while a produce is in flight. The service handles a connection's frames one after the other
 * (its outcome handler commits each), so sending a frame per event-loop turn would queue them past
 * the ack timeout. The part of a frame the service did not handle is published to the inner bus;
 * each publish resolves once its records are handled or acknowledged by the inner bus. An outcome
 * a records frame's handling awaits goes to the inner bus (awaitedByFrameHandling).
 */
export class EdgeLinkOutcomeBus implements EventBus {
  private readonly origins = new Map<string, OriginQueue>();
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly inner: EventBus,
    private readonly server: OutcomeLink,
  ) {}

  async publish(records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    // Outcomes a frame's handling awaits never take the link (awaitedByFrameHandling).
    const insideFrame = insideAwaitedPublish();
    const {
      linked: toOrigins,
      toInner,
      untaken,
    } = routeOverLink(
      records,
      originOfOutcome,
      (origin) => !insideFrame && this.server.takesOutcomes(origin),
    );
    // Outcomes no connection takes now (none connected, an old release's, or awaited by a frame's handling): Kafka.
    if (untaken > 0) heraldMetrics().edgeLinkRecords('to-service', 'fallback', untaken);
    if (toOrigins === undefined) {
      return this.inner.publish(records);
    }
    const sends = [...toOrigins].map(([origin, originRecords]) => this.queued(origin, originRecords));
    if (toInner.length > 0) sends.push(this.inner.publish(toInner));
    await Promise.all(sends);
  }

  subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    return this.inner.subscribe(subscription);
  }

  ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  /** Waits for the frames queued and in flight (and their fallbacks), then closes the inner bus. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.flushing.size > 0) await Promise.all(this.flushing);
    await this.inner.close();
  }

  /** Adds records to the origin's open frame; resolves once they are handled or on the inner bus. */
  private queued(origin: string, records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    let queue = this.origins.get(origin);
    if (queue === undefined) {
      queue = { waiting: [], inFlight: 0, scheduled: false };
      this.origins.set(origin, queue);
    }
    let batch = queue.waiting.at(-1);
    if (batch === undefined || batch.records.length + records.length > EDGE_LINK_MAX_RECORDS_PER_FRAME) {
      batch = { records: [], shares: [] };
      queue.waiting.push(batch);
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
    const { shares } = batch;
    const end = batch.records.length;
    const settled = new Promise<void>((resolve, reject) => shares.push({ start, end, resolve, reject }));
    if (!queue.scheduled) {
      queue.scheduled = true;
      const due = queue;
      setImmediate(() => {
        due.scheduled = false;
        this.sendWaiting(origin, due);
      });
    }
    return settled;
  }

  /** Sends waiting frames while the origin has a connection without a frame in flight. */
  private sendWaiting(origin: string, queue: OriginQueue): void {
    while (queue.waiting.length > 0 && queue.inFlight < Math.max(1, this.server.outcomeConnections(origin))) {
      const batch = queue.waiting.shift()!;
      queue.inFlight += 1;
      const flushed = this.flush(origin, batch).finally(() => {
        queue.inFlight -= 1;
        this.flushing.delete(flushed);
        this.sendWaiting(origin, queue);
      });
      this.flushing.add(flushed);
    }
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
