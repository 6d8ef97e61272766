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

/** Whether the promise settled yet, so a test can check it has not. */
function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  return () => settled;
}

class RecordingBus implements EventBus {
  readonly publishes: number[][] = [];
  failing = false;
  /** Each publish is recorded at once and acknowledged once this resolves. */
  ack: Promise<void> = Promise.resolve();
  async publish(records: ReadonlyArray<Outgoing>): Promise<void> {
    if (this.failing) throw new BusUnavailableError('the broker is away');
    this.publishes.push(numbers(records));
    await this.ack;
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
    // Key 10 stays on the inner bus; key 11, in the same partition, takes the link.
    await bus.publish([command(2, '10'), command(3, '11')]);
    expect(inner.publishes).toEqual([[1], [2]]);
    // The record the hold sent to the inner bus did not extend it: key 10 is back on the link.
    now = 100;
    await bus.publish([command(4, '10')]);
    expect(inner.publishes).toEqual([[1], [2]]);
    expect(server.ownerFrames).toEqual([
      ['replica-0', [3]],
      ['replica-0', [4]],
    ]);
  });

  it('publishes an outcome awaited by the handling of a records frame to the inner bus', async () => {
    await awaitedByFrameHandling(() => bus.publish([outcome('im-router', 1)]));
    expect(server.frames).toEqual([]);
    expect(inner.publishes).toEqual([[1]]);
  });

  describe('records of partitions a replica owns', () => {
    const COMMANDS = 'sip.command-received.im-router.v1';
    const HOLD_MS = 1_000;
    const replicaA = { name: 'a' };
    const replicaB = { name: 'b' };
    /** A record whose key is its partition's number (FakeServer.routeOf), valued n. */
    const command = (key: number, n: number): Outgoing => ({
      topic: COMMANDS,
      key: String(key),
      value: Buffer.from(String(n)),
    });
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    let now: number;

    beforeEach(() => {
      now = 0;
      bus = new EdgeLinkBus(inner, server, { fallbackHoldMs: HOLD_MS, now: () => now });
    });

    it("sends each record to its partition's owner, in one frame per owner per turn", async () => {
      server.owners.set(COMMANDS, [replicaA, replicaB, replicaA]);
      await Promise.all([
        bus.publish([
          command(0, 1),
          command(1, 2),
          { topic: 'presence.v1', key: '0', value: Buffer.from('3') },
        ]),
        bus.publish([command(2, 4), command(4, 5)]),
      ]);
      expect(server.ownerFrames).toEqual([
        ['a', [1, 4]],
        ['b', [2, 5]],
      ]);
      expect(inner.publishes).toEqual([[3]]);
    });

    it('sends a frame each turn while the earlier ones are in flight, and resolves each publish once handled', async () => {
      server.owners.set(COMMANDS, [replicaA]);
      let release!: () => void;
      server.ack = new Promise<void>((resolve) => (release = resolve));
      const first = bus.publish([command(0, 1)]);
      const firstSettled = settledFlag(first);
      await turn();
      const second = bus.publish([command(0, 2)]);
      await turn();
      await turn();
      expect(server.ownerFrames).toEqual([
        ['a', [1]],
        ['a', [2]],
      ]);
      expect(firstSettled()).toBe(false);
      release();
      await Promise.all([first, second]);
      expect(inner.publishes).toEqual([]);
    });

    it('publishes the part a replica did not handle to the inner bus and holds those partitions, only those, for the hold time', async () => {
      server.owners.set(COMMANDS, [replicaA, replicaA, replicaA, replicaA]);
      server.handles = () => 1;
      await bus.publish([command(0, 1), command(1, 2), command(5, 3), command(2, 4)]);
      expect(inner.publishes).toEqual([[2, 3, 4]]);
      server.handles = (records) => records.length;
      server.ownerFrames.length = 0;
      now += HOLD_MS - 1;
      await bus.publish([command(0, 5), command(1, 6), command(2, 7), command(3, 8)]);
      expect(server.ownerFrames).toEqual([['a', [5, 8]]]);
      expect(inner.publishes).toEqual([
        [2, 3, 4],
        [6, 7],
      ]);
      // Records sent to the inner bus because of the hold do not extend it: the partitions return to the link.
      now += 1;
      await bus.publish([command(1, 9), command(2, 10)]);
      expect(server.ownerFrames).toEqual([
        ['a', [5, 8]],
        ['a', [9, 10]],
      ]);
    });

    it('resolves a publish whose records a replica did not handle only once the inner bus acknowledged them', async () => {
      server.owners.set(COMMANDS, [replicaA]);
      server.handles = () => 0;
      let release!: () => void;
      inner.ack = new Promise<void>((resolve) => (release = resolve));
      const publish = bus.publish([command(0, 1)]);
      const settled = settledFlag(publish);
      for (let turns = 0; inner.publishes.length === 0 && turns < 10; turns += 1) await turn();
      expect(inner.publishes).toEqual([[1]]);
      await turn();
      expect(settled()).toBe(false);
      release();
      await publish;
      expect(inner.publishes).toEqual([[1]]);
    });

    it('publishes a record whose partition no replica owns to the inner bus and holds its partition', async () => {
      server.owners.set(COMMANDS, [replicaA, undefined]);
      await bus.publish([command(0, 1), command(1, 2)]);
      expect(server.ownerFrames).toEqual([['a', [1]]]);
      expect(inner.publishes).toEqual([[2]]);
      server.owners.set(COMMANDS, [replicaA, replicaB]);
      now += HOLD_MS - 1;
      await bus.publish([command(1, 3)]);
      expect(inner.publishes).toEqual([[2], [3]]);
      now += HOLD_MS;
      await bus.publish([command(1, 4)]);
      expect(server.ownerFrames).toEqual([
        ['a', [1]],
        ['b', [4]],
      ]);
    });

    it('publishes a record awaited by the handling of a records frame to the inner bus, holding its partition', async () => {
      server.owners.set(COMMANDS, [replicaA]);
      await awaitedByFrameHandling(() => bus.publish([command(0, 1)]));
      await bus.publish([command(0, 2)]);
      expect(server.ownerFrames).toEqual([]);
      expect(inner.publishes).toEqual([[1], [2]]);
      now += HOLD_MS;
      await bus.publish([command(0, 3)]);
      expect(server.ownerFrames).toEqual([['a', [3]]]);
    });
  });
});
