import { connect, createServer, type Socket } from 'node:net';
import type { BusRecord, ConsumedRecord } from '../event-bus';
import { LinkConnection, type LinkConnectionOptions } from './link-connection';

/** Short, so a test of the timeout does not wait long; the others never reach it. */
const SHORT_ACK_TIMEOUT_MS = 50;
const LONG_ACK_TIMEOUT_MS = 60_000;

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

  const open = async (
    receive: LinkConnectionOptions['onRecords'],
    ackTimeoutMs = LONG_ACK_TIMEOUT_MS,
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
    opened.push(sender, new LinkConnection(far, options(receive)));
    return sender;
  };

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
});
