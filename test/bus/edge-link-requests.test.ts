// Requests over the edge link (protocol 2) with a real Kafka broker and real loopback sockets: an
// edge (EdgeLinkServer + EdgeLinkBus) publishing to a topic that service replicas consume
// (KafkaEventBus behind ServiceLinkBus + EdgeLinkClient). The records of the partitions a replica
// owns go to it over the link once its assignment arrived, the edge's publish resolving after the
// handler; a rebalance or a stopping replica hands back what it took and did not handle, the edge
// republishes it to Kafka, and every record is handled at least once with no key overtaken.
import { randomUUID } from 'node:crypto';
import { logLevel, type Admin } from 'kafkajs';
import {
  createKafkaClient,
  EdgeLinkBus,
  EdgeLinkClient,
  EdgeLinkDirectory,
  EdgeLinkServer,
  KafkaEventBus,
  ServiceLinkBus,
  type ConsumedRecord,
  type EdgeLinkEndpoint,
  type SubscriptionHandle,
} from '#herald/bus';
import { requireKafkaBrokers } from '../support/env';
import { waitFor } from '../support/wait-for';

const brokers = requireKafkaBrokers();
const EDGE = 'edge-a';
const OUTBOUND = `edge.${EDGE}.outbound.v1`;
const PARTITIONS = 4;
/** Keys spread over the partitions (the test checks each has an owner before relying on it). */
const KEYS = Array.from({ length: 8 }, (_, index) => `sip:user${index}@herald.test`);
/** Group joins and rebalances of a fresh group on a busy machine. */
const WAIT_MS = 60_000;
/** A replica leaving or joining is noticed at its next heartbeat: short, so rebalances are quick. */
const HEARTBEAT_MS = 300;
const SESSION_MS = 6_000;
/**
 * The edge's ack timeout, past every wait of these tests: what a replica hands back must come back
 * in its ack, not when the edge gives the frame up.
 */
const ACK_TIMEOUT_MS = 3 * WAIT_MS;
/** The edge's fallback hold, on its injected clock. */
const HOLD_MS = 5_000;

/** One handling of a record by a replica. */
interface Handling {
  replica: string;
  key: string;
  n: number;
  /** Came over the edge link (the link's records have no partition), not fetched from Kafka. */
  linked: boolean;
}

const numbered = (topic: string, key: string, n: number) => ({ topic, key, value: Buffer.from(String(n)) });

function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  return () => settled;
}

/** A gate handlers wait at while it is closed. */
class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  close(): void {
    this.opened = new Promise<void>((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
  }
  pass(): Promise<void> {
    return this.opened;
  }
}

describe('edge link: requests to the replica owning their partition, on a real Kafka', () => {
  jest.setTimeout(2 * WAIT_MS + 30_000);
  let admin: Admin;
  let topic: string;
  let groupId: string;
  let server: EdgeLinkServer;
  let endpoint: EdgeLinkEndpoint;
  let edgeKafka: KafkaEventBus;
  let edgeBus: EdgeLinkBus;
  /** The edge's clock: its fallback holds end only when a test moves it past them. */
  let now: number;
  let handlings: Handling[];
  /** Per key, the numbers handled at least once. */
  let handled: Map<string, Set<number>>;
  /** Handlings that started before an earlier record of their key was handled once. */
  let overtakes: string[];
  let gate: Gate;
  /** Handlings started and not finished, by `replica key#n`. */
  let entered: Set<string>;
  const closers: Array<() => Promise<void>> = [];

  /** A service replica: its Kafka consumer behind the link client; `connect` makes it reach the edge. */
  interface Replica {
    name: string;
    kafka: KafkaEventBus;
    bus: ServiceLinkBus;
    handle: SubscriptionHandle | undefined;
    subscribe(): Promise<void>;
    /** The link client opens its connection (and sends the assignment) when it first sends the edge a record. */
    connect(): Promise<void>;
    stop(): Promise<void>;
  }

  const replica = (name: string): Replica => {
    const kafka = new KafkaEventBus({
      brokers,
      clientId: `herald-link-requests-${name}`,
      logLevel: 'nothing',
      heartbeatIntervalMs: HEARTBEAT_MS,
      sessionTimeoutMs: SESSION_MS,
    });
    const client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ addresses: new Map([[EDGE, endpoint]]) }),
    });
    const bus = new ServiceLinkBus(kafka, client, true);
    const self: Replica = {
      name,
      kafka,
      bus,
      handle: undefined,
      subscribe: async () => {
        self.handle = await bus.subscribe({
          groupId,
          topics: [topic],
          handler: async (record) => handle(name, record),
        });
      },
      connect: () => bus.publish([numbered(OUTBOUND, `sip:${name}@herald.test`, 0)]),
      stop: async () => {
        await self.handle?.stop();
        self.handle = undefined;
      },
    };
    let closed = false;
    closers.push(async () => {
      if (closed) return;
      closed = true;
      await self.stop();
      await client.close();
      await kafka.close();
    });
    return self;
  };

  async function handle(name: string, record: ConsumedRecord): Promise<void> {
    const n = Number(record.value.toString());
    const done = handled.get(record.key) ?? new Set<number>();
    handled.set(record.key, done);
    for (let earlier = 1; earlier < n; earlier += 1) {
      if (!done.has(earlier)) {
        overtakes.push(`${name}: ${record.key}#${n} before #${earlier}`);
        break;
      }
    }
    const label = `${name} ${record.key}#${n}`;
    entered.add(label);
    await gate.pass();
    entered.delete(label);
    done.add(n);
    handlings.push({ replica: name, key: record.key, n, linked: record.partition === -1 });
  }

  /** Every key of KEYS has a replica owning its partition, as the edge knows it. */
  const allRouted = (): boolean => KEYS.every((key) => server.routeOf(topic, key)?.owner !== undefined);
  const handledOnce = (key: string, n: number): boolean => handled.get(key)?.has(n) === true;
  const endOffsetSum = async (): Promise<number> =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);

  beforeAll(async () => {
    admin = createKafkaClient({
      brokers,
      clientId: 'herald-link-requests-admin',
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  beforeEach(async () => {
    topic = `herald-link-requests-${randomUUID()}`;
    groupId = `herald-link-requests-${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    handlings = [];
    handled = new Map();
    overtakes = [];
    entered = new Set();
    gate = new Gate();
    server = new EdgeLinkServer({
      host: '127.0.0.1',
      port: 0,
      ackTimeoutMs: ACK_TIMEOUT_MS,
      onRecords: async (records) => records.length,
    });
    endpoint = await server.start();
    edgeKafka = new KafkaEventBus({ brokers, clientId: 'herald-link-requests-edge', logLevel: 'nothing' });
    now = 1_000_000;
    edgeBus = new EdgeLinkBus(edgeKafka, server, { fallbackHoldMs: HOLD_MS, now: () => now });
  });

  afterEach(async () => {
    gate.open();
    for (const close of closers.splice(0).reverse()) await close();
    await server.stop();
    await edgeBus.close();
  });

  it("takes a partition's records over the link once the assignment arrived; the publish resolves after the handler", async () => {
    const a = replica('a');
    await a.subscribe();
    // No replica has said what it owns yet: Kafka carries it.
    await edgeBus.publish([numbered(topic, KEYS[0]!, 1)]);
    await waitFor(() => handledOnce(KEYS[0]!, 1), WAIT_MS, 'record 1 from Kafka');
    await a.connect();
    await waitFor(allRouted, WAIT_MS, "the replica's assignment at the edge");
    // Record 1 went to Kafka while no replica owned the topic: the topic stays there for the hold.
    await edgeBus.publish([numbered(topic, KEYS[0]!, 2)]);
    await waitFor(() => handledOnce(KEYS[0]!, 2), WAIT_MS, 'record 2 from Kafka');
    expect(handlings.at(-1)).toEqual({ replica: 'a', key: KEYS[0], n: 2, linked: false });
    now += HOLD_MS;
    const onKafka = await endOffsetSum();

    gate.close();
    const publish = edgeBus.publish([numbered(topic, KEYS[0]!, 3)]);
    const settled = settledFlag(publish);
    await waitFor(() => entered.has(`a ${KEYS[0]}#3`), WAIT_MS, 'the handler of record 3');
    expect(settled()).toBe(false);
    gate.open();
    await publish;
    expect(handlings.at(-1)).toEqual({ replica: 'a', key: KEYS[0], n: 3, linked: true });

    const more = (key: string): number[] => (key === KEYS[0] ? [4, 5] : [1, 2, 3]);
    await Promise.all(KEYS.map((key) => edgeBus.publish(more(key).map((n) => numbered(topic, key, n)))));
    expect(handlings.filter(({ linked }) => !linked).map(({ key, n }) => [key, n])).toEqual([
      [KEYS[0], 1],
      [KEYS[0], 2],
    ]);
    expect(handlings.filter(({ linked }) => linked)).toHaveLength(1 + 2 + (KEYS.length - 1) * 3);
    expect(await endOffsetSum()).toBe(onKafka);
    expect(overtakes).toEqual([]);
  });

  it("keeps each key's order from Kafka to the link: the records after the assignment stay on Kafka for the hold", async () => {
    const a = replica('a');
    await a.subscribe();
    const PHASE = 10;
    /** Each key's records n..n+PHASE-1 one after the other, as an AOR's requests, the keys at once. */
    const phase = (first: number, during?: () => Promise<void>): Promise<unknown> =>
      Promise.all([
        during?.(),
        ...KEYS.map(async (key) => {
          for (let n = first; n < first + PHASE; n += 1) await edgeBus.publish([numbered(topic, key, n)]);
        }),
      ]);
    const allHandled = (through: number) => () => KEYS.every((key) => handled.get(key)?.size === through);
    // The replica says what it owns while the first records go to Kafka.
    await phase(1, async () => {
      await a.connect();
      await waitFor(allRouted, WAIT_MS, "the replica's assignment at the edge");
    });
    await phase(PHASE + 1);
    await waitFor(allHandled(2 * PHASE), WAIT_MS, 'the records on Kafka handled');
    expect(handlings.filter(({ linked }) => linked)).toEqual([]);
    // The hold ends (every record on Kafka was handled): the link carries the next ones.
    now += HOLD_MS;
    await phase(2 * PHASE + 1);
    await waitFor(allHandled(3 * PHASE), WAIT_MS, 'every record handled');
    expect(handlings.filter(({ linked }) => linked).map(({ n }) => n > 2 * PHASE)).toEqual(
      KEYS.flatMap(() => Array.from({ length: PHASE }, () => true)),
    );
    expect(overtakes).toEqual([]);
  });

  it("keeps a key's order when the replica's consumer has not fetched the key's earlier record yet", async () => {
    // One partition, with a backlog the consumer cannot fetch whole ahead of its handlers
    // (KAFKA_MAX_PENDING_RECORDS), then the key's first record, all on Kafka before the replica connects.
    topic = `herald-link-requests-${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const BACKLOG = 6_000;
    const CHUNK = 500;
    const filler = Buffer.from('0'.repeat(1_024));
    for (let from = 0; from < BACKLOG; from += CHUNK) {
      await edgeKafka.publish(
        Array.from({ length: CHUNK }, (_, index) => ({
          topic,
          key: `sip:backlog${from + index}@herald.test`,
          value: filler,
        })),
      );
    }
    const key = KEYS[0]!;
    await edgeBus.publish([numbered(topic, key, 1)]);
    const a = replica('a');
    gate.close();
    await a.subscribe();
    await a.connect();
    await waitFor(allRouted, WAIT_MS, "the replica's assignment at the edge");
    const second = edgeBus.publish([numbered(topic, key, 2)]);
    gate.open();
    await second;
    await waitFor(() => handledOnce(key, 1) && handledOnce(key, 2), WAIT_MS, "the key's records");
    expect(overtakes).toEqual([]);
  });

  it.each(['a second replica joins', 'the replica stops'] as const)(
    'hands back what it took and did not handle when %s: republished to Kafka, each handled, none overtaken',
    async (change) => {
      const a = replica('a');
      const b = replica('b');
      await a.subscribe();
      await a.connect();
      await waitFor(allRouted, WAIT_MS, "a's assignment at the edge");
      gate.close();
      const RECORDS = 5;
      const publishes = KEYS.map((key) =>
        edgeBus.publish(Array.from({ length: RECORDS }, (_, index) => numbered(topic, key, index + 1))),
      );
      // Each key's first record is in a's handler, the rest taken behind it.
      await waitFor(() => KEYS.every((key) => entered.has(`a ${key}#1`)), WAIT_MS, "a's handlers");
      const onKafka = await endOffsetSum();
      let stopping: Promise<void> | undefined;
      if (change === 'the replica stops') stopping = a.stop();
      await b.subscribe();
      await b.connect();
      gate.open();
      await waitFor(
        () => KEYS.every((key) => handled.get(key)?.size === RECORDS),
        WAIT_MS,
        'every record handled',
      );
      await Promise.all(publishes);
      await stopping;
      // Only what a handed back reached Kafka, where b took it.
      expect(await endOffsetSum()).toBeGreaterThan(onKafka);
      expect(handlings.some(({ replica: name, linked }) => name === 'b' && !linked)).toBe(true);
      expect(overtakes).toEqual([]);
    },
  );

  it('commits the offsets of fetched records between link records: a restarted replica handles none again', async () => {
    const a = replica('a');
    await a.subscribe();
    await a.connect();
    await waitFor(allRouted, WAIT_MS, "a's assignment at the edge");
    const RECORDS = 10;
    // Odd numbers straight to Kafka (as a fallback would), even ones over the link, key by key in order.
    await Promise.all(
      KEYS.map(async (key) => {
        for (let n = 1; n <= RECORDS; n += 1) {
          const record = numbered(topic, key, n);
          if (n % 2 === 1) {
            await edgeKafka.publish([record]);
            await waitFor(() => handledOnce(key, n), WAIT_MS, `${key}#${n} from Kafka`);
          } else {
            await edgeBus.publish([record]);
          }
        }
      }),
    );
    expect(handlings.filter(({ linked }) => linked)).toHaveLength((KEYS.length * RECORDS) / 2);
    await a.stop();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    expect(
      committed[0]!.partitions
        .map(({ partition, offset }) => [partition, offset])
        .sort(([x], [y]) => +x! - +y!),
    ).toEqual(ends.map(({ partition, high }) => [partition, high]).sort(([x], [y]) => +x! - +y!));

    const before = handlings.length;
    const again = replica('a-again');
    await again.subscribe();
    // A marker behind every key's records on Kafka: handled only after whatever was not committed.
    await Promise.all(KEYS.map((key) => edgeKafka.publish([numbered(topic, key, RECORDS + 1)])));
    await waitFor(() => KEYS.every((key) => handledOnce(key, RECORDS + 1)), WAIT_MS, 'the markers');
    expect(handlings.slice(before).map(({ n }) => n)).toEqual(KEYS.map(() => RECORDS + 1));
    expect(overtakes).toEqual([]);
  });
});
