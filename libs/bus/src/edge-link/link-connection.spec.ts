import { connect, createServer, type Socket } from 'node:net';
import type { BusRecord, ConsumedRecord } from '../event-bus';
import { LinkConnection, type LinkConnectionOptions } from './link-connection';
import { type AssignmentFrame, encodeAssignment } from './link-frame';

/** Short, so a test of the timeout does not wait long; the others never reach it. */
const SHORT_ACK_TIMEOUT_MS = 50;
const LONG_ACK_TIMEOUT_MS = 60_000;
/** A condition a test waits for fails the test if it does not hold within this. */
const WAIT_MS = 2_000;

const records = (...values: number[]): BusRecord[] =>
  values.map((n) => ({ topic: 'edge.e.outbound.v1', key: 'k', value: Buffer.from(String(n)), headers: {} }));

/** Two ends of one loopback TCP connection. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  const pair: [Socket, Socket] = [client, await accepted];
  server.close();
  return pair;
}

describe('LinkConnection (over loopback)', () => {
  const opened: LinkConnection[] = [];
  const closes: string[] = [];

  /** A sender and, over loopback, a receiver handling records frames with `receive` (and `receiverOptions`). */
  const open = async (
    receive: LinkConnectionOptions['onRecords'],
    ackTimeoutMs = LONG_ACK_TIMEOUT_MS,
    receiverOptions: Partial<LinkConnectionOptions> = {},
  ): Promise<LinkConnection> => {
    const [near, far] = await socketPair();
    const options = (onRecords: LinkConnectionOptions['onRecords']): LinkConnectionOptions => ({
      onRecords,
      onClose: (code) => void closes.push(code),
      ackTimeoutMs,
    });
    const sender = new LinkConnection(
      near,
      options(async () => 0),
    );
    opened.push(sender, new LinkConnection(far, { ...options(receive), ...receiverOptions }));
    return sender;
  };
  /** The receiver of the latest open(). */
  const receiverOfLatest = (): LinkConnection => opened[opened.length - 1]!;

  beforeEach(() => {
    closes.length = 0;
  });

  afterEach(() => {
    for (const connection of opened.splice(0)) connection.close('EDGE_LINK_CLOSED');
  });

  it('handles frames one after the other and resolves each from its ack', async () => {
    const seen: string[] = [];
    let active = 0;
    const sender = await open(async (received: ConsumedRecord[]) => {
      active += 1;
      expect(active).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(...received.map((r) => `${r.value.toString()}@${r.offset}`));
      active -= 1;
      return received.length;
    });
    const results = await Promise.all([sender.send(records(1, 2)), sender.send(records(3))]);
    expect(results).toEqual([{ handled: 2 }, { handled: 1 }]);
    expect(seen).toEqual(['1@link:1.0', '2@link:1.1', '3@link:2.0']);
  });

  it('ends the connection after acking a partly refused frame: frames behind it are not handled', async () => {
    const frames: number[][] = [];
    const sender = await open(async (received) => {
      frames.push(received.map((r) => Number(r.value.toString())));
      return 1;
    });
    const results = await Promise.all([sender.send(records(1, 2)), sender.send(records(3))]);
    expect(results[0]).toEqual({ handled: 1, reason: 'EDGE_LINK_REFUSED' });
    expect(results[1]?.handled).toBe(0);
    expect(frames).toEqual([[1, 2]]);
    expect(sender.isOpen).toBe(false);
  });

  it('acks 0 and ends the connection when the handler throws', async () => {
    const sender = await open(async () => {
      throw new Error('the edge is broken');
    });
    await expect(sender.send(records(1))).resolves.toEqual({ handled: 0, reason: 'EDGE_LINK_REFUSED' });
  });

  it('resolves 0 and destroys the connection when no ack comes in time', async () => {
    const sender = await open(() => new Promise<number>(() => undefined), SHORT_ACK_TIMEOUT_MS);
    await expect(sender.send(records(1))).resolves.toEqual({ handled: 0, reason: 'EDGE_LINK_ACK_TIMEOUT' });
    expect(closes).toContain('EDGE_LINK_ACK_TIMEOUT');
  });

  it('sends nothing it cannot frame, and resolves 0 once closed', async () => {
    const sender = await open(async (received) => received.length);
    const oversized = records(1).map((r) => ({ ...r, key: 'k'.repeat(0x10000) }));
    await expect(sender.send(oversized)).resolves.toEqual({ handled: 0, reason: 'EDGE_LINK_FIELD_TOO_LONG' });
    expect(sender.isOpen).toBe(true);
    sender.close('EDGE_LINK_STOPPED');
    await expect(sender.send(records(1))).resolves.toEqual({ handled: 0, reason: 'EDGE_LINK_STOPPED' });
  });

  it('finish() lets the frame being handled finish and be acked, then closes', async () => {
    let release!: () => void;
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sender = await open(async (received) => {
      started();
      await gate;
      return received.length;
    });
    const sent = sender.send(records(1));
    await handling;
    const receiver = opened[opened.length - 1]!;
    const finished = receiver.finish('EDGE_LINK_STOPPED');
    release();
    await finished;
    await expect(sent).resolves.toEqual({ handled: 1 });
    expect(receiver.isOpen).toBe(false);
  });

  describe('frames taken at once (takeRecords)', () => {
    /** Each taken frame's values, with the function that settles its handled count. */
    let takenFrames: Array<{ values: number[]; handled(count: number): void }>;
    const takeRecords = (received: ConsumedRecord[]): Promise<number> =>
      new Promise<number>((resolve) =>
        takenFrames.push({ values: received.map((r) => Number(r.value.toString())), handled: resolve }),
      );
    const untaken = async (): Promise<number> => {
      throw new Error('a taken frame reached onRecords');
    };

    beforeEach(() => {
      takenFrames = [];
    });

    it('starts the next frame without waiting for the taken one', async () => {
      const sender = await open(untaken, LONG_ACK_TIMEOUT_MS, { takeRecords });
      const first = settledFlag(sender.send(records(1)));
      void sender.send(records(2, 3));
      await until(() => takenFrames.length === 2);
      expect(takenFrames.map(({ values }) => values)).toEqual([[1], [2, 3]]);
      expect(first()).toBe(false);
    });

    it('acks taken frames as they are handled, out of order, each resolving its own send', async () => {
      const sender = await open(untaken, LONG_ACK_TIMEOUT_MS, { takeRecords });
      const first = sender.send(records(1, 2));
      const firstSettled = settledFlag(first);
      const second = sender.send(records(3, 4, 5));
      await until(() => takenFrames.length === 2);
      takenFrames[1]!.handled(3);
      await expect(second).resolves.toEqual({ handled: 3 });
      expect(firstSettled()).toBe(false);
      takenFrames[0]!.handled(2);
      await expect(first).resolves.toEqual({ handled: 2 });
      expect(sender.isOpen).toBe(true);
    });

    it('hands a frame it does not take (takeRecords gives undefined) to onRecords', async () => {
      const handled: number[][] = [];
      const sender = await open(
        async (received) => {
          handled.push(received.map((r) => Number(r.value.toString())));
          return received.length;
        },
        LONG_ACK_TIMEOUT_MS,
        { takeRecords: () => undefined },
      );
      await expect(sender.send(records(1, 2))).resolves.toEqual({ handled: 2 });
      expect(handled).toEqual([[1, 2]]);
    });

    it('finish() waits for the taken frames to be handled and acked, then closes', async () => {
      const sender = await open(untaken, LONG_ACK_TIMEOUT_MS, { takeRecords });
      const sent = sender.send(records(1));
      await until(() => takenFrames.length === 1);
      const receiver = receiverOfLatest();
      const finished = settledFlag(receiver.finish('EDGE_LINK_STOPPED'));
      for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(finished()).toBe(false);
      expect(receiver.isOpen).toBe(true);
      takenFrames[0]!.handled(1);
      await expect(sent).resolves.toEqual({ handled: 1 });
      await until(finished);
      expect(receiver.isOpen).toBe(false);
      expect(closes).toContain('EDGE_LINK_STOPPED');
    });

    it('closes the connection after acking a taken frame that was not handled whole', async () => {
      const sender = await open(untaken, LONG_ACK_TIMEOUT_MS, { takeRecords });
      const sent = sender.send(records(1, 2));
      await until(() => takenFrames.length === 1);
      takenFrames[0]!.handled(1);
      await expect(sent).resolves.toEqual({ handled: 1, reason: 'EDGE_LINK_REFUSED' });
      expect(receiverOfLatest().isOpen).toBe(false);
      expect(closes).toContain('EDGE_LINK_REFUSED');
    });
  });

  describe('assignment frames', () => {
    const assignment = { topic: 'sip.command-received.im-router.v1', partitionCount: 4, partitions: [0, 3] };

    it('hands an assignment frame to onAssignment', async () => {
      const assignments: AssignmentFrame[] = [];
      const sender = await open(async () => 0, LONG_ACK_TIMEOUT_MS, {
        onAssignment: (frame) => void assignments.push(frame),
      });
      sender.write(encodeAssignment([assignment]));
      await until(() => assignments.length > 0);
      expect(assignments).toEqual([{ kind: 'assignment', topics: [assignment] }]);
      expect(receiverOfLatest().isOpen).toBe(true);
    });

    it('closes a connection without onAssignment that receives one: EDGE_LINK_UNEXPECTED_ASSIGNMENT', async () => {
      const sender = await open(async () => 0);
      sender.write(encodeAssignment([assignment]));
      const receiver = receiverOfLatest();
      await until(() => !receiver.isOpen);
      expect(closes).toContain('EDGE_LINK_UNEXPECTED_ASSIGNMENT');
    });
  });
});

/** Whether the promise settled yet, so a test can check it has not. */
function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  return () => settled;
}

/** Resolves once `done()` holds, checking every event-loop turn; throws after WAIT_MS. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${done.toString()}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
