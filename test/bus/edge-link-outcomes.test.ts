import {
  awaitedByFrameHandling,
  EdgeLinkClient,
  EdgeLinkDirectory,
  EdgeLinkBus,
  EdgeLinkServer,
  InProcessEventBus,
  ServiceLinkBus,
  type ConsumedRecord,
  type Subscription,
} from '#herald/bus';
import { SIP_PUSH_OUTCOME_IM_ROUTER_V1 } from '#herald/contracts';
import { waitFor } from '../support/wait-for';

const EDGE = 'edge-a';
const OUTBOUND = `edge.${EDGE}.outbound.v1`;
const WAIT_MS = 10_000;

const outcome = (key: string, n: number) => ({
  topic: SIP_PUSH_OUTCOME_IM_ROUTER_V1,
  key,
  value: Buffer.from(String(n)),
});
const numbers = (records: ReadonlyArray<ConsumedRecord>): number[] =>
  records.map((r) => Number(r.value.toString()));
const linked = (record: ConsumedRecord): boolean => record.partition === -1;

/**
 * The edge link over real loopback sockets, edge to service: the edge's outcomes reach the
 * service's outcome subscription over a connection of that origin, in runs per key, and are acked
 * once handled; without such a connection, or for what was not handled, they go to the fallback
 * bus (one InProcessEventBus standing in for the Kafka both sides share).
 */
describe('edge link: outcomes to their origin service', () => {
  let kafka: InProcessEventBus;
  let server: EdgeLinkServer;
  let edgeBus: EdgeLinkBus;
  let client: EdgeLinkClient;
  let serviceBus: ServiceLinkBus;
  let runs: ConsumedRecord[][];
  let failKey: string | undefined;

  const subscription = (): Subscription => ({
    groupId: 'im-router-outcomes',
    topics: [SIP_PUSH_OUTCOME_IM_ROUTER_V1],
    maxRunRecords: 2,
    handler: async (record) => void runs.push([record]),
    handleRun: async (run) => {
      if (run[0]!.key === failKey && linked(run[0]!)) throw new Error('the database is away');
      runs.push([...run]);
    },
  });
  /** The service connects to an edge when it first sends it something. */
  const connectService = (): Promise<void> =>
    serviceBus.publish([{ topic: OUTBOUND, key: 'sip:a@x', value: Buffer.from('push') }]);

  beforeEach(async () => {
    runs = [];
    failKey = undefined;
    kafka = new InProcessEventBus();
    server = new EdgeLinkServer({ host: '127.0.0.1', port: 0, onRecords: async (records) => records.length });
    const endpoint = await server.start();
    edgeBus = new EdgeLinkBus(kafka, server);
    client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ addresses: new Map([[EDGE, endpoint]]) }),
    });
    serviceBus = new ServiceLinkBus(kafka, client, true);
  });

  afterEach(async () => {
    await server.stop();
    await client.close();
    await kafka.close();
  });

  it('hands one turn of outcomes to handleRun in runs per key, and resolves each publish once acked', async () => {
    await serviceBus.subscribe(subscription());
    await connectService();
    const published = jest.spyOn(kafka, 'publish');
    await Promise.all([
      edgeBus.publish([outcome('A', 1), outcome('B', 2), outcome('A', 3)]),
      edgeBus.publish([outcome('A', 4), outcome('B', 5)]),
    ]);
    expect(runs.every((run) => run.every(linked))).toBe(true);
    expect(runs.map((run) => [run[0]!.key, numbers(run)]).sort()).toEqual([
      ['A', [1, 3]],
      ['A', [4]],
      ['B', [2, 5]],
    ]);
    expect(
      runs
        .flat()
        .map((r) => r.offset)
        .sort(),
    ).toEqual(['link:1.0', 'link:1.1', 'link:1.2', 'link:1.3', 'link:1.4']);
    expect(published).not.toHaveBeenCalled();
  });

  it('publishes to Kafka what the service did not handle, where its consumer takes it', async () => {
    await serviceBus.subscribe(subscription());
    await connectService();
    failKey = 'B';
    await edgeBus.publish([outcome('A', 1), outcome('B', 2), outcome('A', 3)]);
    await waitFor(() => runs.some((run) => !run.some(linked)), WAIT_MS, 'the fallback on Kafka');
    await waitFor(() => numbers(runs.flat().filter((r) => !linked(r))).length === 2, WAIT_MS, 'both records');
    // From the failed record on, the frame goes to Kafka: B's 2 and A's 3 (handled on the link too: idempotent).
    expect(numbers(runs.flat().filter((r) => !linked(r))).sort()).toEqual([2, 3]);
    expect(numbers(runs.flat().filter(linked)).sort()).toEqual([1, 3]);
  });

  it('publishes the outcomes to Kafka when no connection of their origin takes them', async () => {
    await edgeBus.publish([outcome('A', 1)]);
    await connectService(); // connected, but this replica has no outcome subscription: it said so in its hello
    await edgeBus.publish([outcome('A', 2)]);
    await serviceBus.subscribe(subscription());
    await waitFor(() => runs.flat().length === 2, WAIT_MS, 'both outcomes from Kafka');
    expect(runs.flat().some(linked)).toBe(false);
    expect(numbers(runs.flat())).toEqual([1, 2]);
  });

  it('sends one outcome frame at a time per connection: what comes meanwhile leaves in the next one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await serviceBus.subscribe({
      ...subscription(),
      handleRun: async (run) => {
        await gate;
        runs.push([...run]);
      },
    });
    await connectService();
    const first = edgeBus.publish([outcome('A', 1)]);
    await new Promise((resolve) => setImmediate(resolve)); // the turn ends: outcome 1 leaves alone
    const later: Array<Promise<void>> = [];
    for (let n = 2; n <= 5; n += 1) {
      later.push(edgeBus.publish([outcome(`K${n}`, n)]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    release();
    await Promise.all([first, ...later]);
    const frameOf = (record: ConsumedRecord): string => record.offset.split('.')[0]!;
    const frames = new Map<string, number[]>();
    for (const record of runs.flat())
      frames.set(frameOf(record), [...(frames.get(frameOf(record)) ?? []), ...numbers([record])]);
    expect([...frames.values()].map((values) => values.sort())).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('sends an outcome awaited by the handling of a records frame to Kafka, so the frame never waits on its service', async () => {
    const edgeHandled: string[] = [];
    await server.stop();
    // An edge whose handler publishes an outcome and awaits it (a no-flow outcome), and a service
    // whose outcome handler publishes to that edge and awaits it (a delivered push).
    server = new EdgeLinkServer({
      host: '127.0.0.1',
      port: 0,
      onRecords: async (records) => {
        for (const record of records) {
          edgeHandled.push(record.value.toString());
          if (record.value.toString() === 'gone') {
            await awaitedByFrameHandling(() => edgeBus.publish([outcome('A', 1)]));
          }
        }
        return records.length;
      },
    });
    const endpoint = await server.start();
    edgeBus = new EdgeLinkBus(kafka, server);
    await client.close();
    client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ addresses: new Map([[EDGE, endpoint]]) }),
    });
    serviceBus = new ServiceLinkBus(kafka, client, true);
    await serviceBus.subscribe({
      ...subscription(),
      handleRun: async (run) => {
        runs.push([...run]);
        await serviceBus.publish([{ topic: OUTBOUND, key: 'sip:b@x', value: Buffer.from('delivered') }]);
      },
    });
    await connectService();
    await serviceBus.publish([{ topic: OUTBOUND, key: 'sip:a@x', value: Buffer.from('gone') }]);
    await waitFor(() => edgeHandled.includes('delivered'), WAIT_MS, 'the delivered push on the edge');
    expect(runs.flat().map((record) => [numbers([record])[0], linked(record)])).toEqual([[1, false]]);
    expect(edgeHandled).toEqual(['push', 'gone', 'delivered']);
  });
});
