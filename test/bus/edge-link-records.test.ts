import { connect, type Socket } from 'node:net';
import {
  EdgeLinkClient,
  EdgeLinkDirectory,
  EdgeLinkServer,
  InProcessEventBus,
  ServiceLinkBus,
  type ConsumedRecord,
  type EdgeLinkEndpoint,
} from '#herald/bus';
import { freeTcpPort } from '../support/free-port';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';

const EDGE = 'edge-a';
const OUTBOUND = `edge.${EDGE}.outbound.v1`;
const TOKEN = 'link-secret';
/** Long enough never to end by itself within a test: tests move the injected clock past it. */
const HOLD_MS = 60_000;
const WAIT_MS = 10_000;

const record = (key: string, n: number) => ({ topic: OUTBOUND, key, value: Buffer.from(String(n)) });
const numbers = (records: ReadonlyArray<ConsumedRecord>): number[] =>
  records.map((r) => Number(r.value.toString()));

/** Waits for a promise to settle, so a test can check it has not yet. */
function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  return () => settled;
}

/**
 * The edge link over real loopback sockets, service to edge: records frames handled by the edge
 * and acked; whatever the link did not handle reaches the fallback bus (an InProcessEventBus
 * standing in for Kafka), nothing lost, nothing handled twice by the link.
 */
describe('edge link: records to an edge', () => {
  let kafka: InProcessEventBus;
  let onKafka: ConsumedRecord[];
  let handledByLink: ConsumedRecord[];
  let now: number;
  const stops: Array<() => Promise<void>> = [];

  const startEdge = async (
    onRecords: (records: readonly ConsumedRecord[]) => Promise<number> = async (records) => {
      handledByLink.push(...records);
      return records.length;
    },
    port = 0,
  ): Promise<{ server: EdgeLinkServer; endpoint: EdgeLinkEndpoint }> => {
    const server = new EdgeLinkServer({ host: '127.0.0.1', port, token: TOKEN, onRecords });
    const endpoint = await server.start();
    stops.push(() => server.stop());
    return { server, endpoint };
  };
  const serviceBus = (endpoint: EdgeLinkEndpoint, token = TOKEN): ServiceLinkBus => {
    const directory = new EdgeLinkDirectory({ addresses: new Map([[EDGE, endpoint]]) });
    const client = new EdgeLinkClient({
      origin: 'im-router',
      directory,
      token,
      fallbackHoldMs: HOLD_MS,
      now: () => now,
    });
    stops.push(() => client.close());
    return new ServiceLinkBus(kafka, client, true);
  };

  beforeEach(async () => {
    now = 1_000_000;
    onKafka = [];
    handledByLink = [];
    kafka = new InProcessEventBus();
    await kafka.subscribe({
      groupId: 'edge',
      topics: [OUTBOUND, 'presence.v1'],
      handler: async (r) => void onKafka.push(r),
    });
  });

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await kafka.close();
  });

  it('hands the records to the edge in order and resolves once it acked; other topics go to Kafka', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { endpoint } = await startEdge(async (records) => {
      await gate;
      handledByLink.push(...records);
      return records.length;
    });
    const bus = serviceBus(endpoint);
    const publish = bus.publish([
      record('sip:a@x', 1),
      { topic: 'presence.v1', key: 'sip:a@x', value: Buffer.from('9') },
      record('sip:b@x', 2),
      record('sip:a@x', 3),
    ]);
    const settled = settledFlag(publish);
    await waitFor(() => onKafka.length === 1, WAIT_MS, 'the other topic on Kafka');
    expect(settled()).toBe(false);
    release();
    await publish;
    expect(numbers(handledByLink)).toEqual([1, 2, 3]);
    expect(handledByLink.map((r) => [r.partition, r.offset])).toEqual([
      [-1, 'link:1.0'],
      [-1, 'link:1.1'],
      [-1, 'link:1.2'],
    ]);
    expect(onKafka.map((r) => r.topic)).toEqual(['presence.v1']);
  });

  it('publishes to Kafka the tail the edge refused, then holds the edge on Kafka', async () => {
    const { endpoint } = await startEdge(async (records) => {
      const handled = records.findIndex((r) => r.value.toString() === '3');
      handledByLink.push(...records.slice(0, handled));
      return handled < 0 ? records.length : handled;
    });
    const bus = serviceBus(endpoint);
    await bus.publish([1, 2, 3, 4].map((n) => record('sip:a@x', n)));
    expect(numbers(handledByLink)).toEqual([1, 2]);
    await waitFor(() => onKafka.length === 2, WAIT_MS, 'the tail on Kafka');
    expect(numbers(onKafka)).toEqual([3, 4]);
    await bus.publish([record('sip:a@x', 5)]);
    await waitFor(() => onKafka.length === 3, WAIT_MS, 'the held record on Kafka');
    expect(numbers(handledByLink)).toEqual([1, 2]);
  });

  it('falls back while the edge does not listen, holds, and uses the link again after the hold', async () => {
    const port = await freeTcpPort();
    const bus = serviceBus({ host: '127.0.0.1', port });
    await bus.publish([record('sip:a@x', 1)]);
    await startEdge(undefined, port);
    now += HOLD_MS - 1;
    await bus.publish([record('sip:a@x', 2)]);
    await waitFor(() => onKafka.length === 2, WAIT_MS, 'both records on Kafka');
    expect(handledByLink).toEqual([]);
    now += 1;
    await bus.publish([record('sip:a@x', 3)]);
    expect(numbers(handledByLink)).toEqual([3]);
    expect(numbers(onKafka)).toEqual([1, 2]);
  });

  it('loses nothing and handles nothing twice on the link when the connection dies mid-frame', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let frames = 0;
    const { server, endpoint } = await startEdge(async (records) => {
      frames += 1;
      await gate;
      handledByLink.push(...records);
      return records.length;
    });
    const proxy = await TcpProxy.start({ address: '127.0.0.1', port: endpoint.port });
    stops.push(() => proxy.stop());
    const bus = serviceBus({ host: '127.0.0.1', port: proxy.port });
    const first = bus.publish([record('sip:a@x', 1), record('sip:a@x', 2)]);
    await waitFor(() => frames === 1, WAIT_MS, 'the first frame in the edge');
    const second = bus.publish([record('sip:a@x', 3)]);
    proxy.cut({ refuse: true });
    await Promise.all([first, second]);
    await waitFor(() => onKafka.length === 3, WAIT_MS, 'every record on Kafka');
    expect(numbers(onKafka)).toEqual([1, 2, 3]);
    release();
    await server.stop();
    expect(frames).toBe(1);
    expect(numbers(handledByLink)).toEqual([1, 2]);
  });

  it('refuses a wrong token: the records go to Kafka', async () => {
    const { endpoint } = await startEdge();
    await serviceBus(endpoint, 'not-the-token').publish([record('sip:a@x', 1)]);
    await waitFor(() => onKafka.length === 1, WAIT_MS, 'the record on Kafka');
    expect(handledByLink).toEqual([]);
  });

  it('closes a connection whose first frame is no hello, or whose frame breaks the format', async () => {
    const { server, endpoint } = await startEdge();
    const closedAfter = async (bytes: Buffer): Promise<void> => {
      const socket: Socket = connect(endpoint.port, '127.0.0.1');
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.write(bytes);
      await closed;
    };
    await closedAfter(Buffer.from([0, 0, 0, 9, 3, 0, 0, 0, 1, 0, 0, 0, 1]));
    await closedAfter(Buffer.from([0, 0, 0, 1, 42]));
    await closedAfter(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    // Half a frame, then the connection drops: nothing of it is handled.
    const half = connect(endpoint.port, '127.0.0.1');
    await new Promise<void>((resolve) => half.on('connect', () => resolve()));
    half.end(Buffer.from([0, 0, 0, 40, 2, 0, 0, 0, 1]));
    await server.stop();
    expect(handledByLink).toEqual([]);
  });
});
