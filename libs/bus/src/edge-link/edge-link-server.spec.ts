import { connect } from 'node:net';
import type { ConsumedRecord } from '../event-bus';
import { partitionOfKey } from '../kafka-partitioner';
import { EdgeLinkServer } from './edge-link-server';
import { LinkConnection } from './link-connection';
import {
  EDGE_LINK_PROTOCOL_VERSION,
  encodeAssignment,
  encodeHello,
  type TopicAssignment,
} from './link-frame';

const COMMANDS = 'sip.command-received.im-router.v1';
const COUNT = 4;
/** A condition a test waits for fails the test if it does not hold within this. */
const WAIT_MS = 2_000;

/** A key of each of the topic's COUNT partitions, as the producers' partitioner places it. */
const keyOfPartition: string[] = [];
for (let n = 0; keyOfPartition.filter((key) => key !== undefined).length < COUNT; n += 1) {
  keyOfPartition[partitionOfKey(`sip:u${n}@x`, COUNT)] ??= `sip:u${n}@x`;
}
const owning = (partitions: number[], topic = COMMANDS): TopicAssignment[] => [
  { topic, partitionCount: COUNT, partitions },
];

/** A service replica's end of a link connection: says hello, sends assignments, records the frames it is sent. */
interface Replica {
  connection: LinkConnection;
  received: number[][];
  assign(topics: TopicAssignment[]): void;
}

describe('EdgeLinkServer: routes from the replicas’ assignment frames (over loopback)', () => {
  let server: EdgeLinkServer;
  let port: number;
  const replicas: Replica[] = [];

  const connectReplica = async (): Promise<Replica> => {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const received: number[][] = [];
    const connection = new LinkConnection(socket, {
      ackTimeoutMs: WAIT_MS,
      onRecords: async (records: ConsumedRecord[]) => {
        received.push(records.map((r) => Number(r.value.toString())));
        return records.length;
      },
      onClose: () => undefined,
    });
    connection.write(
      encodeHello({
        version: EDGE_LINK_PROTOCOL_VERSION,
        origin: 'im-router',
        token: '',
        takesOutcomes: false,
      }),
    );
    const replica = {
      connection,
      received,
      assign: (topics: TopicAssignment[]) => connection.write(encodeAssignment(topics)),
    };
    replicas.push(replica);
    return replica;
  };
  const ownerOf = (partition: number) => server.routeOf(COMMANDS, keyOfPartition[partition]!)?.owner;
  const command = (partition: number, n: number) => ({
    topic: COMMANDS,
    key: keyOfPartition[partition]!,
    value: Buffer.from(String(n)),
    headers: {},
  });

  beforeEach(async () => {
    server = new EdgeLinkServer({ host: '127.0.0.1', port: 0, onRecords: async () => 0 });
    ({ port } = await server.start());
  });

  afterEach(async () => {
    for (const replica of replicas.splice(0)) replica.connection.close('EDGE_LINK_STOPPED');
    await server.stop();
  });

  it('routes nothing of a topic no replica ever owned a partition of', async () => {
    const replica = await connectReplica();
    replica.assign([...owning([0], 'other.v1'), ...owning([], COMMANDS)]);
    await until(() => server.routeOf('other.v1', keyOfPartition[0]!) !== undefined);
    expect(server.routeOf(COMMANDS, keyOfPartition[0]!)).toBeUndefined();
  });

  it("routes a key to the replica owning its partition (the producers' partition), and to no replica when none owns it", async () => {
    const [a, b] = [await connectReplica(), await connectReplica()];
    a.assign(owning([0, 2]));
    b.assign(owning([1]));
    await until(() => ownerOf(0) !== undefined && ownerOf(1) !== undefined);
    expect(server.routeOf(COMMANDS, keyOfPartition[3]!)).toEqual({ partition: 3, owner: undefined });
    expect(server.routeOf(COMMANDS, keyOfPartition[2]!)?.partition).toBe(2);
    expect(ownerOf(2)).toBe(ownerOf(0));
    await expect(server.sendToOwner(ownerOf(0)!, [command(0, 1), command(2, 2)])).resolves.toBe(2);
    await expect(server.sendToOwner(ownerOf(1)!, [command(1, 3)])).resolves.toBe(1);
    expect(a.received).toEqual([[1, 2]]);
    expect(b.received).toEqual([[3]]);
  });

  it('replaces what a replica owns with each assignment frame', async () => {
    const replica = await connectReplica();
    replica.assign(owning([0, 1]));
    await until(() => ownerOf(0) !== undefined);
    replica.assign(owning([2]));
    await until(() => ownerOf(2) !== undefined);
    expect(ownerOf(0)).toBeUndefined();
    expect(ownerOf(1)).toBeUndefined();
    replica.assign([]);
    await until(() => ownerOf(2) === undefined);
    // A topic once owned keeps its partition count: its records still have a partition (which the bus holds).
    expect(server.routeOf(COMMANDS, keyOfPartition[2]!)).toEqual({ partition: 2, owner: undefined });
  });

  it("drops a replica's ownership when its connection closes, and only its own", async () => {
    const [a, b] = [await connectReplica(), await connectReplica()];
    a.assign(owning([0]));
    b.assign(owning([1]));
    await until(() => ownerOf(0) !== undefined && ownerOf(1) !== undefined);
    a.connection.close('EDGE_LINK_STOPPED');
    await until(() => ownerOf(0) === undefined);
    expect(ownerOf(1)).toBeDefined();
    b.connection.close('EDGE_LINK_STOPPED');
    await until(() => ownerOf(1) === undefined);
    expect(server.routeOf(COMMANDS, keyOfPartition[1]!)).toEqual({ partition: 1, owner: undefined });
  });
});

/** Resolves once `done()` holds, checking every few milliseconds; throws after WAIT_MS. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${done.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
