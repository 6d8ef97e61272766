import {
  BusUnavailableError,
  type BusRecord,
  type EventBus,
  type PartitionIntake,
  type Subscription,
  type SubscriptionHandle,
} from '../event-bus';
import type { EdgeRecordLink, OutcomeFrameHandler } from './edge-link-client';
import { ServiceLinkBus } from './service-link-bus';

type Outgoing = Omit<BusRecord, 'headers'>;
const OUTCOMES = 'sip.push-outcome.im-router.v1';
const toEdge = (edgeId: string, n: number): Outgoing => ({
  topic: `edge.${edgeId}.outbound.v1`,
  key: 'sip:a@x',
  value: Buffer.from(String(n)),
});
const other = (n: number): Outgoing => ({
  topic: 'presence.v1',
  key: 'sip:a@x',
  value: Buffer.from(String(n)),
});
const numbers = (records: ReadonlyArray<Outgoing>): number[] =>
  records.map((r) => Number(r.value.toString()));

/** An inner bus that records each publish; `failing` makes them reject. */
class RecordingBus implements EventBus {
  readonly publishes: Outgoing[][] = [];
  readonly subscriptions: Subscription[] = [];
  failing = false;
  /** The intake each subscription's handle gives (a Kafka consumer's), none when undefined. */
  intake: PartitionIntake | undefined;
  /** What happened, in order: 'stopped' when a subscription's handle stopped. */
  readonly events: string[];
  constructor(events: string[] = []) {
    this.events = events;
  }
  async publish(records: ReadonlyArray<Outgoing>): Promise<void> {
    if (this.failing) throw new BusUnavailableError('the broker is away');
    this.publishes.push([...records]);
  }
  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    this.subscriptions.push(subscription);
    const stop = async () => void this.events.push('stopped');
    return this.intake === undefined ? { stop } : { stop, intake: this.intake };
  }
  async ensureTopics(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A link to the edges: `handles` says how many of each frame an edge handles; edges in `held` are not linkable. */
class FakeLink implements EdgeRecordLink {
  readonly origin = 'im-router';
  readonly frames: Array<[string, number[]]> = [];
  readonly held = new Set<string>();
  handles = (records: ReadonlyArray<BusRecord>): number => records.length;
  outcomeHandler: OutcomeFrameHandler | undefined;
  linkable(edgeId: string): boolean {
    return !this.held.has(edgeId);
  }
  async send(edgeId: string, records: ReadonlyArray<BusRecord>): Promise<number> {
    this.frames.push([edgeId, numbers(records)]);
    return this.handles(records);
  }
  handleOutcomes(handler: OutcomeFrameHandler | undefined): void {
    this.outcomeHandler = handler;
  }
  readonly offered = new Set<PartitionIntake>();
  /** What happened, in order: 'withdrawn' when an offer was withdrawn. */
  readonly events: string[];
  constructor(events: string[] = []) {
    this.events = events;
  }
  offerPartitions(intake: PartitionIntake): () => void {
    this.offered.add(intake);
    return () => {
      this.offered.delete(intake);
      this.events.push('withdrawn');
    };
  }
  async close(): Promise<void> {}
}

describe('ServiceLinkBus', () => {
  let inner: RecordingBus;
  let link: FakeLink;
  let bus: ServiceLinkBus;

  let events: string[];

  beforeEach(() => {
    events = [];
    inner = new RecordingBus(events);
    link = new FakeLink(events);
    bus = new ServiceLinkBus(inner, link, true);
  });

  it('sends each edge its records in one frame, in order, and other topics to the inner bus', async () => {
    await bus.publish([toEdge('a', 1), other(2), toEdge('b', 3), toEdge('a', 4)]);
    expect(link.frames).toEqual([
      ['a', [1, 4]],
      ['b', [3]],
    ]);
    expect(inner.publishes.map(numbers)).toEqual([[2]]);
  });

  it('publishes to the inner bus the tail an edge did not handle', async () => {
    link.handles = () => 1;
    await bus.publish([toEdge('a', 1), toEdge('a', 2), toEdge('a', 3)]);
    expect(inner.publishes.map(numbers)).toEqual([[2, 3]]);
  });

  it('passes a publish with no linkable edge to the inner bus as it is', async () => {
    link.held.add('a');
    const records = [toEdge('a', 1), other(2)];
    await bus.publish(records);
    expect(link.frames).toEqual([]);
    expect(inner.publishes).toEqual([records]);
  });

  it('rejects as the inner bus does when a fallback cannot be published', async () => {
    link.handles = () => 0;
    inner.failing = true;
    await expect(bus.publish([toEdge('a', 1)])).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it('registers a subscription to its outcome topic for link outcomes, and only that one', async () => {
    await bus.subscribe({ groupId: 'g', topics: ['presence.v1'], handler: async () => undefined });
    expect(link.outcomeHandler).toBeUndefined();
    const handle = await bus.subscribe({ groupId: 'g', topics: [OUTCOMES], handler: async () => undefined });
    expect(link.outcomeHandler).toBeDefined();
    expect(inner.subscriptions).toHaveLength(2);
    await handle.stop();
    expect(link.outcomeHandler).toBeUndefined();
  });

  describe("the partitions a subscription's consumer owns", () => {
    const intake: PartitionIntake = {
      owned: () => [],
      onOwnedChange: () => () => undefined,
      take: async () => 0,
    };
    const commands = {
      groupId: 'im-router',
      topics: ['sip.command-received.im-router.v1'],
      handler: async () => undefined,
    };

    it('offers the edges the intake of a subscription that has one, and withdraws it before stopping the consumer', async () => {
      inner.intake = intake;
      const handle = await bus.subscribe(commands);
      expect([...link.offered]).toEqual([intake]);
      expect(handle.intake).toBe(intake);
      await handle.stop();
      expect(link.offered.size).toBe(0);
      expect(events).toEqual(['withdrawn', 'stopped']);
    });

    it('withdraws the intake of an outcome subscription too, before stopping it', async () => {
      inner.intake = intake;
      const handle = await bus.subscribe({ ...commands, topics: [OUTCOMES] });
      expect([...link.offered]).toEqual([intake]);
      await handle.stop();
      expect(events).toEqual(['withdrawn', 'stopped']);
      expect(link.outcomeHandler).toBeUndefined();
    });

    it('offers nothing when the subscription has no intake', async () => {
      await bus.subscribe(commands);
      expect(link.offered.size).toBe(0);
    });

    it('offers nothing when it takes no partition records (HERALD_EDGE_LINK_REQUESTS=false)', async () => {
      inner.intake = intake;
      bus = new ServiceLinkBus(inner, link, false);
      const handle = await bus.subscribe(commands);
      expect(link.offered.size).toBe(0);
      await handle.stop();
      expect(events).toEqual(['stopped']);
    });
  });
});
