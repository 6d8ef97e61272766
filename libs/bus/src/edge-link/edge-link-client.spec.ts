import { type AddressInfo, createServer, Socket } from 'node:net';
import type { BusRecord, ConsumedRecord, OwnedPartitions, PartitionIntake } from '../event-bus';
import { EdgeLinkClient } from './edge-link-client';
import { EdgeLinkDirectory, type EdgeLinkEndpoint } from './edge-link-directory';
import { LinkConnection } from './link-connection';
import type { TopicAssignment } from './link-frame';

const record = { topic: 'edge.edge-x.outbound.v1', key: 'sip:a@x', value: Buffer.from('1'), headers: {} };

describe('EdgeLinkClient (no network)', () => {
  it('has no link to an edge the directory does not know: 0 at once, nothing opened', async () => {
    const client = new EdgeLinkClient({ origin: 'im-router', directory: new EdgeLinkDirectory({}) });
    expect(client.linkable('edge-x')).toBe(false);
    await expect(client.send('edge-x', [record])).resolves.toBe(0);
    await client.close();
  });

  it('links no edge once closed', async () => {
    const client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ template: '{edgeId}.edges:5090' }),
    });
    expect(client.linkable('edge-x')).toBe(true);
    await client.close();
    expect(client.linkable('edge-x')).toBe(false);
    await expect(client.send('edge-x', [record])).resolves.toBe(0);
  });

  it('gives up a connection that does not open within the connect timeout: 0, and the edge is held', async () => {
    let opened = 0;
    const neverConnects = (): Socket => {
      opened += 1;
      return new Socket();
    };
    let now = 0;
    const client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ template: '{edgeId}.edges:5090' }),
      connectTimeoutMs: 10,
      fallbackHoldMs: 1_000,
      now: () => now,
      openSocket: neverConnects,
    });
    await expect(client.send('edge-x', [record])).resolves.toBe(0);
    expect(client.linkable('edge-x')).toBe(false);
    now += 1_000;
    expect(client.linkable('edge-x')).toBe(true);
    expect(opened).toBe(1);
    await client.close();
  });
});

const COMMANDS = 'sip.command-received.im-router.v1';
const REGISTERS = 'sip.register-requested.v1';
const OUTCOMES = 'sip.push-outcome.im-router.v1';
/** A condition a test waits for fails the test if it does not hold within this. */
const WAIT_MS = 2_000;

/** An intake whose ownership the test sets; each take is recorded and handled as `handles` says. */
class FakeIntake implements PartitionIntake {
  private current: OwnedPartitions[] = [];
  private readonly listeners = new Set<() => void>();
  readonly takes: number[][] = [];
  handles = async (records: ReadonlyArray<ConsumedRecord>): Promise<number> => records.length;
  owned(): OwnedPartitions[] {
    return this.current;
  }
  onOwnedChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  own(owned: OwnedPartitions[]): void {
    this.current = owned;
    for (const listener of this.listeners) listener();
  }
  take(records: ReadonlyArray<ConsumedRecord>): Promise<number> {
    this.takes.push(values(records));
    return this.handles(records);
  }
}

/** An edge's link server, as a socket and a LinkConnection per accepted replica, recording every frame in order. */
class RecordingEdge {
  readonly connections: Array<{ connection: LinkConnection; frames: Array<string | TopicAssignment[]> }> = [];
  private readonly server = createServer((socket) => {
    const frames: Array<string | TopicAssignment[]> = [];
    const connection = new LinkConnection(socket, {
      ackTimeoutMs: WAIT_MS,
      onHello: () => void frames.push('hello'),
      onAssignment: (frame) => void frames.push(frame.topics),
      onRecords: async (records) => {
        frames.push(`records ${values(records).join(',')}`);
        return records.length;
      },
      onClose: () => undefined,
    });
    this.connections.push({ connection, frames });
  });
  async start(): Promise<EdgeLinkEndpoint> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: (this.server.address() as AddressInfo).port };
  }
  async stop(): Promise<void> {
    for (const { connection } of this.connections) connection.close('EDGE_LINK_STOPPED');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const values = (records: ReadonlyArray<BusRecord>): number[] =>
  records.map((r) => Number(r.value.toString()));
const owning = (topic: string, partitions: number[]): OwnedPartitions => ({
  topic,
  partitionCount: 4,
  partitions,
});
const recordOf = (topic: string, n: number): BusRecord => ({
  topic,
  key: 'sip:a@x',
  value: Buffer.from(String(n)),
  headers: {},
});

describe('EdgeLinkClient (over loopback): partitions offered to the edges', () => {
  const edges: RecordingEdge[] = [];
  let client: EdgeLinkClient;

  /** Starts edges `edgeIds` and a client that knows them. */
  const start = async (...edgeIds: string[]): Promise<RecordingEdge[]> => {
    const addresses = new Map<string, EdgeLinkEndpoint>();
    const started: RecordingEdge[] = [];
    for (const edgeId of edgeIds) {
      const edge = new RecordingEdge();
      addresses.set(edgeId, await edge.start());
      edges.push(edge);
      started.push(edge);
    }
    client = new EdgeLinkClient({ origin: 'im-router', directory: new EdgeLinkDirectory({ addresses }) });
    return started;
  };
  /** Opens the client's connection to `edgeId` (connections open on a send) with the record valued n. */
  const sendTo = async (edgeId: string, n: number): Promise<void> => {
    await expect(client.send(edgeId, [recordOf(`edge.${edgeId}.outbound.v1`, n)])).resolves.toBe(1);
  };
  /** The frames the edge's first connection got, once `count` came. */
  const framesOf = async (edge: RecordingEdge, count: number): Promise<Array<string | TopicAssignment[]>> => {
    await until(() => (edge.connections[0]?.frames.length ?? 0) >= count);
    return edge.connections[0]!.frames;
  };

  afterEach(async () => {
    await client.close();
    await Promise.all(edges.splice(0).map((edge) => edge.stop()));
  });

  it('tells a new connection the assignment right after its hello, outcome topics left out', async () => {
    const [edge] = await start('edge-a');
    const intake = new FakeIntake();
    intake.own([owning(COMMANDS, [0, 1]), owning(OUTCOMES, [2])]);
    client.offerPartitions(intake);
    await sendTo('edge-a', 1);
    expect(await framesOf(edge!, 3)).toEqual(['hello', [owning(COMMANDS, [0, 1])], 'records 1']);
  });

  it('tells every open connection the assignment at each change, and no partitions once withdrawn', async () => {
    const [edgeA, edgeB] = await start('edge-a', 'edge-b');
    const intake = new FakeIntake();
    const withdraw = client.offerPartitions(intake);
    await sendTo('edge-a', 1);
    await sendTo('edge-b', 2);
    intake.own([owning(REGISTERS, [3])]);
    intake.own([owning(REGISTERS, [1, 3]), owning(COMMANDS, [0])]);
    withdraw();
    const expected = (records: string) => [
      'hello',
      records,
      [owning(REGISTERS, [3])],
      [owning(REGISTERS, [1, 3]), owning(COMMANDS, [0])],
      [],
    ];
    expect(await framesOf(edgeA!, 5)).toEqual(expected('records 1'));
    expect(await framesOf(edgeB!, 5)).toEqual(expected('records 2'));
  });

  describe('records frames from an edge (takeFrame)', () => {
    let commands: FakeIntake;
    let registers: FakeIntake;
    let edge: RecordingEdge;

    beforeEach(async () => {
      [edge] = (await start('edge-a')) as [RecordingEdge];
      commands = new FakeIntake();
      commands.own([owning(COMMANDS, [0, 1, 2, 3])]);
      registers = new FakeIntake();
      registers.own([owning(REGISTERS, [0, 1, 2, 3])]);
      client.offerPartitions(commands);
      client.offerPartitions(registers);
      await sendTo('edge-a', 0);
    });
    const edgeSends = (records: BusRecord[]) => edge.connections[0]!.connection.send(records);

    it('hands each run of one intake’s records to it in order, and refuses from the first record no intake owns', async () => {
      const result = await edgeSends([
        recordOf(COMMANDS, 1),
        recordOf(COMMANDS, 2),
        recordOf(REGISTERS, 3),
        recordOf(COMMANDS, 4),
        recordOf('sip.publish-requested.v1', 5),
        recordOf(COMMANDS, 6),
      ]);
      expect(commands.takes).toEqual([[1, 2], [4]]);
      expect(registers.takes).toEqual([[3]]);
      expect(result).toEqual({ handled: 4, reason: 'EDGE_LINK_REFUSED' });
    });

    it('acks the handled prefix: up to the first record an intake did not handle', async () => {
      registers.handles = async () => 0;
      const result = await edgeSends([
        recordOf(COMMANDS, 1),
        recordOf(REGISTERS, 2),
        recordOf(REGISTERS, 3),
        recordOf(COMMANDS, 4),
      ]);
      expect(result).toEqual({ handled: 1, reason: 'EDGE_LINK_REFUSED' });
    });

    it('acks all of a frame every intake handled whole', async () => {
      await expect(edgeSends([recordOf(REGISTERS, 1), recordOf(COMMANDS, 2)])).resolves.toEqual({
        handled: 2,
      });
    });

    it('hands an outcome frame to the outcome handler, not to an intake', async () => {
      const outcomes: number[][] = [];
      client.handleOutcomes(async (records) => {
        outcomes.push(values(records));
        return records.length;
      });
      await expect(edgeSends([recordOf(OUTCOMES, 1), recordOf(OUTCOMES, 2)])).resolves.toEqual({
        handled: 2,
      });
      expect(outcomes).toEqual([[1, 2]]);
      expect([...commands.takes, ...registers.takes]).toEqual([]);
    });
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
