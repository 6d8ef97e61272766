import { BusUnavailableError, type BusRecord, type EventBus, type Subscription } from '../event-bus';
import { awaitedByFrameHandling } from './awaited-by-frame';
import { EdgeLinkBus } from './edge-link-bus';
import type { OutcomeLink, OwnerLink, PartitionRoute } from './edge-link-server';

type Outgoing = Omit<BusRecord, 'headers'>;
const outcome = (origin: string, n: number): Outgoing => ({
  topic: `sip.push-outcome.${origin}.v1`,
  key: 'sip:a@x',
  value: Buffer.from(String(n)),
});
const COMMANDS = 'sip.command-received.im-router.v1';
/** A command numbered n, keyed n by default (FakeServer: partition = key modulo the owners). */
const command = (n: number, key = String(n)): Outgoing => ({
  topic: COMMANDS,
  key,
  value: Buffer.from(String(n)),
});
const numbers = (records: ReadonlyArray<Outgoing>): number[] =>
  records.map((r) => Number(r.value.toString()));

class RecordingBus implements EventBus {
  readonly publishes: number[][] = [];
  failing = false;
  async publish(records: ReadonlyArray<Outgoing>): Promise<void> {
    if (this.failing) throw new BusUnavailableError('the broker is away');
    this.publishes.push(numbers(records));
  }
  async subscribe(_subscription: Subscription) {
    return { stop: async () => undefined };
  }
  async ensureTopics(): Promise<void> {}
  async close(): Promise<void> {}
}

/** One connection for each origin in `takers`; each frame is handled up to `handles`, once `ack` allows. */
class FakeServer implements OutcomeLink, OwnerLink {
  readonly frames: Array<[string, number[]]> = [];
  readonly takers = new Set(['im-router', 'presence']);
  ack: Promise<void> = Promise.resolve();
  handles = (records: ReadonlyArray<BusRecord>): number => records.length;
  takesOutcomes(origin: string): boolean {
    return this.takers.has(origin);
  }
  outcomeConnections(origin: string): number {
    return this.takers.has(origin) ? 1 : 0;
  }
  async sendToOrigin(origin: string, records: ReadonlyArray<BusRecord>): Promise<number> {
    this.frames.push([origin, numbers(records)]);
    await this.ack;
    return this.handles(records);
  }
  /** Per topic, the owners of its partitions (partition = the key's number modulo their count). */
  readonly owners = new Map<string, Array<{ name: string } | undefined>>();
  readonly ownerFrames: Array<[string, number[]]> = [];
  routeOf(topic: string, key: string): PartitionRoute | undefined {
    const owners = this.owners.get(topic);
    if (owners === undefined) return undefined;
    const partition = Number(key) % owners.length;
    return { partition, owner: owners[partition] };
  }
  async sendToOwner(owner: object, records: ReadonlyArray<BusRecord>): Promise<number> {
    this.ownerFrames.push([(owner as { name: string }).name, numbers(records)]);
    await this.ack;
    return this.handles(records);
  }
}

describe('EdgeLinkBus', () => {
  let inner: RecordingBus;
  let server: FakeServer;
  let bus: EdgeLinkBus;

  beforeEach(() => {
    inner = new RecordingBus();
    server = new FakeServer();
    bus = new EdgeLinkBus(inner, server);
  });

  it('sends the outcomes of one turn to each origin in one frame; other topics go to the inner bus', async () => {
    await Promise.all([
      bus.publish([outcome('im-router', 1), outcome('presence', 2)]),
      bus.publish([
        outcome('im-router', 3),
        { topic: 'sip.command-received.v1', key: 'k', value: Buffer.from('4') },
      ]),
    ]);
    expect(server.frames).toEqual([
      ['im-router', [1, 3]],
      ['presence', [2]],
    ]);
    expect(inner.publishes).toEqual([[4]]);
  });

  it('publishes outcomes of an origin with no connection straight to the inner bus', async () => {
    server.takers.delete('presence');
    await bus.publish([outcome('presence', 1)]);
    expect(server.frames).toEqual([]);
    expect(inner.publishes).toEqual([[1]]);
  });

  it('falls back per frame: the unhandled tail in one inner publish, each publish resolved by its share', async () => {
    server.handles = () => 1;
    const first = bus.publish([outcome('im-router', 1)]);
    const second = bus.publish([outcome('im-router', 2), outcome('im-router', 3)]);
    await Promise.all([first, second]);
    expect(inner.publishes).toEqual([[2, 3]]);
  });

  it('rejects only the publishes whose records the inner bus could not take', async () => {
    server.handles = () => 1;
    inner.failing = true;
    const first = bus.publish([outcome('im-router', 1)]);
    const second = bus.publish([outcome('im-router', 2)]);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it('keeps one frame in flight per connection: outcomes published meanwhile join the next frame', async () => {
    let release!: () => void;
    server.ack = new Promise<void>((resolve) => (release = resolve));
    const first = bus.publish([outcome('im-router', 1)]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [bus.publish([outcome('im-router', 2)]), bus.publish([outcome('im-router', 3)])];
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.frames).toEqual([['im-router', [1]]]);
    release();
    await Promise.all([first, ...later]);
    expect(server.frames).toEqual([
      ['im-router', [1]],
      ['im-router', [2, 3]],
    ]);
    expect(inner.publishes).toEqual([]);
  });

  it("sends a record to its partition's owner; one of a partition no replica owns holds that partition on the inner bus", async () => {
    let now = 0;
    bus = new EdgeLinkBus(inner, server, { fallbackHoldMs: 100, now: () => now });
    server.owners.set(COMMANDS, [{ name: 'replica-0' }, undefined]);
    await bus.publish([command(2), command(1)]);
    expect(server.ownerFrames).toEqual([['replica-0', [2]]]);
    expect(inner.publishes).toEqual([[1]]);
    server.owners.set(COMMANDS, [{ name: 'replica-0' }, { name: 'replica-1' }]);
    now = 99;
    await bus.publish([command(3)]);
    now = 199;
    await bus.publish([command(5)]);
    expect(inner.publishes).toEqual([[1], [3]]);
    expect(server.ownerFrames).toEqual([
      ['replica-0', [2]],
      ['replica-1', [5]],
    ]);
  });

  it("holds on the inner bus the key of a record whose topic had no owner, not its partition's other keys", async () => {
    let now = 0;
    bus = new EdgeLinkBus(inner, server, { fallbackHoldMs: 100, now: () => now });
    await bus.publish([command(1, '10')]);
    server.owners.set(COMMANDS, [{ name: 'replica-0' }]);
    now = 99;
    // Key 10 stays on the inner bus (its hold renewed); key 11, in the same partition, takes the link.
    await bus.publish([command(2, '10'), command(3, '11')]);
    now = 198;
    await bus.publish([command(4, '10')]);
    expect(inner.publishes).toEqual([[1], [2], [4]]);
    now = 298;
    await bus.publish([command(5, '10')]);
    expect(inner.publishes).toEqual([[1], [2], [4]]);
    expect(server.ownerFrames).toEqual([
      ['replica-0', [3]],
      ['replica-0', [5]],
    ]);
  });

  it('publishes an outcome awaited by the handling of a records frame to the inner bus', async () => {
    await awaitedByFrameHandling(() => bus.publish([outcome('im-router', 1)]));
    expect(server.frames).toEqual([]);
    expect(inner.publishes).toEqual([[1]]);
  });
});
