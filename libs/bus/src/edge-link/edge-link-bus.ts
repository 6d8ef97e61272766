import { heraldMetrics, injectTraceContext, spansAreInert } from '#herald/observability';
import { publishTraced } from '../bus-tracing';
import type { BusRecord, EventBus, PublishOptions, Subscription, SubscriptionHandle } from '../event-bus';
import { insideAwaitedPublish } from './awaited-by-frame';
import type { OutcomeLink, OwnerLink, PartitionOwner } from './edge-link-server';
import { EDGE_LINK_MAX_RECORDS_PER_FRAME } from './link-frame';
import { EDGE_LINK_FALLBACK_HOLD_MS } from './link-timing';
import { originOfOutcome } from './link-topics';

type OutgoingRecord = Omit<BusRecord, 'headers'> & PublishOptions;
/** Key holds kept before expired ones are swept out (then twice what is left, at least this). */
const KEY_HOLDS_SWEEP_SIZE = 4_096;
/** A record bound for its partition's owner, with the key of its partition's hold. */
interface RoutedRecord {
  record: OutgoingRecord;
  holdKey: string;
}

/** Records that leave in one frame. */
interface FrameBatch {
  records: BusRecord[];
  /** Each publish's share of the frame: [start, end) with the publish's settlement. */
  shares: Array<{ start: number; end: number; resolve(): void; reject(error: unknown): void }>;
}

/** One origin's outcomes: the frames waiting to leave, and how many are in flight. */
interface OriginQueue {
  waiting: FrameBatch[];
  inFlight: number;
  /** A send pass is due at the end of this event-loop turn. */
  scheduled: boolean;
}

export interface EdgeLinkBusOptions {
  /** After a record of a partition went to the inner bus, its records keep going there this long (default EDGE_LINK_FALLBACK_HOLD_MS). */
  fallbackHoldMs?: number;
  now?: () => number;
}

/**
 * The edge's bus. Two kinds of records take the link, the rest goes to the inner bus (Kafka):
 * - `sip.push-outcome.<origin>.v1`: over a link connection of that origin. Outcomes of one origin
 *   leave in frames, one in flight per connection of the origin: those published while they are
 *   all in flight join the next frame, as the Kafka bus produces while a produce is in flight
 *   (the service handles a connection's outcome frames one after the other).
 * - A record of a topic some replica consumes and said it owns partitions of (its assignment):
 *   over the connection of the replica owning the record's partition, in one frame per connection
 *   per event-loop turn, any number in flight (the replica's consumer takes each frame into its
 *   partitions' pipelines at once, in order). The commands and requests the edge sends the services.
 *   A record of such a topic that goes to the inner bus instead (no owner of its partition, or a
 *   fallback) holds its partition on the inner bus for fallbackHoldMs, so the records of its key
 *   after it do not overtake it over the link. A record of a topic no connection of this edge ever
 *   owned partitions of (no partition count known yet) goes to the inner bus and holds its key
 *   there in the same way: its partition may have an owner by the next one. A record sent to the
 *   inner bus because of a hold does not extend it.
 * The part of a frame the service did not handle is published to the inner bus; each publish
 * resolves once its records are handled or acknowledged by the inner bus. A record a records
 * frame's handling awaits goes to the inner bus (awaitedByFrameHandling).
 */
export class EdgeLinkBus implements EventBus {
  private readonly origins = new Map<string, OriginQueue>();
  /** Per owner, the frame gathering this turn's records for it. */
  private readonly ownerFrames = new Map<PartitionOwner, FrameBatch>();
  /** Per `topic/partition`, until when (now() ms) its records go to the inner bus. */
  private readonly heldUntil = new Map<string, number>();
  /** Per `topic key` that went to the inner bus while its topic had no owner, until when its records go there. */
  private readonly keyHeldUntil = new Map<string, number>();
  private sweepKeyHoldsAt = KEY_HOLDS_SWEEP_SIZE;
  /** Each owner-bound record's partition hold key, for the hold on its fallback. */
  private readonly holdKeys = new WeakMap<BusRecord, string>();
  private readonly flushing = new Set<Promise<void>>();
  private readonly fallbackHoldMs: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: EventBus,
    private readonly server: OutcomeLink & OwnerLink,
    options: EdgeLinkBusOptions = {},
  ) {
    this.fallbackHoldMs = options.fallbackHoldMs ?? EDGE_LINK_FALLBACK_HOLD_MS;
    this.now = options.now ?? Date.now;
  }

  async publish(records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    // Records a frame's handling awaits never take the link (awaitedByFrameHandling).
    const insideFrame = insideAwaitedPublish();
    let toOrigins: Map<string, OutgoingRecord[]> | undefined;
    let toOwners: Map<PartitionOwner, RoutedRecord[]> | undefined;
    let keyHolds: string[] | undefined;
    const toInner: OutgoingRecord[] = [];
    let untaken = 0;
    for (const record of records) {
      const origin = originOfOutcome(record.topic);
      if (origin !== undefined) {
        if (!insideFrame && this.server.takesOutcomes(origin)) {
          toOrigins ??= new Map();
          appendTo(toOrigins, origin, record);
        } else {
          untaken += 1;
          toInner.push(record);
        }
        continue;
      }
      const route = this.server.routeOf(record.topic, record.key);
      if (route === undefined) {
        // A topic no connection of this edge ever owned: once one owns the key's partition, the
        // key's later records must not overtake this one over the link.
        (keyHolds ??= []).push(keyHoldOf(record));
        toInner.push(record);
        continue;
      }
      const holdKey = `${record.topic}/${route.partition}`;
      const held =
        this.held(this.heldUntil, holdKey) ||
        (this.keyHeldUntil.size > 0 && this.held(this.keyHeldUntil, keyHoldOf(record)));
      if (!insideFrame && route.owner !== undefined && !held) {
        toOwners ??= new Map();
        appendTo(toOwners, route.owner, { record, holdKey });
        continue;
      }
      untaken += 1;
      // A record sent to Kafka because of a hold does not extend it: a busy partition or key
      // returns to the link once the hold ends (the residual order window, architecture.md).
      if (!held) this.hold(this.heldUntil, [holdKey]);
      toInner.push(record);
    }
    if (keyHolds !== undefined) this.holdRecordKeys(keyHolds);
    // Records no connection takes now (none connected, an old release's, awaited by a frame's handling, held): Kafka.
    if (untaken > 0) heraldMetrics().edgeLinkRecords('to-service', 'fallback', untaken);
    if (toOrigins === undefined && toOwners === undefined) {
      return this.inner.publish(records);
    }
    const sends: Array<Promise<void>> = [];
    for (const [origin, originRecords] of toOrigins ?? [])
      sends.push(this.queuedForOrigin(origin, originRecords));
    for (const [owner, ownerRecords] of toOwners ?? []) {
      // A span per owner's share, as ServiceLinkBus makes per edge: the handler's span follows it.
      sends.push(
        publishTraced(
          'edge-link',
          ownerRecords.map(({ record }) => record),
          (traced) => this.queuedForOwner(owner, traced, ownerRecords),
        ),
      );
    }
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

  /** Whether the partition (or key) is held on the inner bus (a hold that ended is forgotten). */
  private held(holds: Map<string, number>, holdKey: string): boolean {
    const until = holds.get(holdKey);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    holds.delete(holdKey);
    return false;
  }

  private hold(holds: Map<string, number>, holdKeys: Iterable<string>): void {
    const until = this.now() + this.fallbackHoldMs;
    for (const holdKey of holdKeys) holds.set(holdKey, Math.max(until, holds.get(holdKey) ?? 0));
  }

  /** Holds keys; a key whose records stopped is forgotten by a sweep, amortized over the holds. */
  private holdRecordKeys(keyHolds: ReadonlyArray<string>): void {
    if (this.keyHeldUntil.size >= this.sweepKeyHoldsAt) {
      const now = this.now();
      for (const [keyHold, until] of this.keyHeldUntil) if (until <= now) this.keyHeldUntil.delete(keyHold);
      this.sweepKeyHoldsAt = Math.max(KEY_HOLDS_SWEEP_SIZE, 2 * this.keyHeldUntil.size);
    }
    this.hold(this.keyHeldUntil, keyHolds);
  }

  /**
   * Adds records (traced: with their trace context) to the owner's frame of this turn; resolves
   * once they are handled or on the inner bus.
   */
  private queuedForOwner(
    owner: PartitionOwner,
    traced: ReadonlyArray<BusRecord>,
    routed: ReadonlyArray<RoutedRecord>,
  ): Promise<void> {
    let batch = this.ownerFrames.get(owner);
    if (batch === undefined || batch.records.length + routed.length > EDGE_LINK_MAX_RECORDS_PER_FRAME) {
      batch = { records: [], shares: [] };
      const due = batch;
      this.ownerFrames.set(owner, due);
      setImmediate(() => {
        if (this.ownerFrames.get(owner) === due) this.ownerFrames.delete(owner);
        this.track(this.flush(due, (frame) => this.server.sendToOwner(owner, frame), true));
      });
    }
    const start = batch.records.length;
    batch.records.push(...traced);
    routed.forEach(({ holdKey }, index) => this.holdKeys.set(batch.records[start + index]!, holdKey));
    return this.shareOf(batch, start);
  }

  /** Adds records to the origin's open frame; resolves once they are handled or on the inner bus. */
  private queuedForOrigin(origin: string, records: ReadonlyArray<OutgoingRecord>): Promise<void> {
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
    const settled = this.share(batch, records);
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

  /** Appends a publish's records to a frame: resolves with the publish's share of the frame. */
  private share(batch: FrameBatch, records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    const start = batch.records.length;
    // The trace context is the publisher's: taken now, not in the turn the frame leaves.
    const inert = spansAreInert();
    for (const record of records) {
      batch.records.push({
        ...record,
        headers: inert ? (record.headers ?? {}) : injectTraceContext(record.headers),
      });
    }
    return this.shareOf(batch, start);
  }

  /** The settlement of the frame's records from `start` to its end (the publish that just added them). */
  private shareOf(batch: FrameBatch, start: number): Promise<void> {
    const { shares } = batch;
    const end = batch.records.length;
    return new Promise<void>((resolve, reject) => shares.push({ start, end, resolve, reject }));
  }

  /** Sends waiting frames while the origin has a connection without a frame in flight. */
  private sendWaiting(origin: string, queue: OriginQueue): void {
    while (queue.waiting.length > 0 && queue.inFlight < Math.max(1, this.server.outcomeConnections(origin))) {
      const batch = queue.waiting.shift()!;
      queue.inFlight += 1;
      const flushed = this.flush(batch, (frame) => this.server.sendToOrigin(origin, frame), false).finally(
        () => {
          queue.inFlight -= 1;
          this.sendWaiting(origin, queue);
        },
      );
      this.track(flushed);
    }
  }

  private track(flushed: Promise<void>): void {
    const tracked = flushed.finally(() => this.flushing.delete(tracked));
    this.flushing.add(tracked);
  }

  /** Sends a frame; the part not handled goes to the inner bus (holding its topics when `holdOnFallback`). */
  private async flush(
    batch: FrameBatch,
    send: (records: ReadonlyArray<BusRecord>) => Promise<number>,
    holdOnFallback: boolean,
  ): Promise<void> {
    try {
      const handled = await send(batch.records);
      const waiting = batch.shares.filter((share) => {
        if (share.end <= handled) share.resolve();
        return share.end > handled;
      });
      if (waiting.length === 0) return;
      const rest = batch.records.slice(handled);
      if (holdOnFallback)
        this.hold(this.heldUntil, new Set(rest.map((record) => this.holdKeys.get(record)!)));
      try {
        await this.inner.publish(rest);
        for (const share of waiting) share.resolve();
      } catch (error) {
        for (const share of waiting) share.reject(error);
      }
    } catch (error) {
      for (const share of batch.shares) share.reject(error);
    }
  }
}

/** A key's hold: topic names take no space. */
function keyHoldOf(record: OutgoingRecord): string {
  return `${record.topic} ${record.key}`;
}

function appendTo<K, R>(groups: Map<K, R[]>, key: K, record: R): void {
  const group = groups.get(key);
  if (group === undefined) groups.set(key, [record]);
  else group.push(record);
}
