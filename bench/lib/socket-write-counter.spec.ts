import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type CountedSockets, LinkFrameCounter } from './socket-write-counter';

/** A frame as libs/bus/src/edge-link/link-frame.ts writes it: u32 length | u8 kind | body. */
function frame(kind: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(1 + body.length, 0);
  header.writeUInt8(kind, 4);
  return Buffer.concat([header, body]);
}

function u32s(...values: number[]): Buffer {
  const body = Buffer.alloc(4 * values.length);
  values.forEach((value, index) => body.writeUInt32BE(value, 4 * index));
  return body;
}

describe('LinkFrameCounter', () => {
  const hello = frame(1, Buffer.from([1, 1, 0, 2, 0x69, 0x6d, 0, 0]));
  const records = frame(2, Buffer.concat([u32s(7, 2), Buffer.alloc(40, 0x61)]));
  const ack = frame(3, u32s(7, 2));
  const emptyRecords = frame(2, u32s(8, 0));
  const stream = Buffer.concat([hello, records, ack, emptyRecords]);
  const expected = [
    ['hello', hello.length, 0],
    ['records', records.length, 2],
    ['ack', 13, 0],
    ['records', 13, 0],
  ];

  function countIn(chunks: Buffer[]): Array<[string, number, number]> {
    const frames: Array<[string, number, number]> = [];
    const counter = new LinkFrameCounter((kind, bytes, carried) => frames.push([kind, bytes, carried]));
    for (const chunk of chunks) counter.feed(chunk);
    return frames;
  }

  it('counts each frame once, by kind, with its bytes and records, whole', () => {
    expect(countIn([stream])).toEqual(expected);
  });

  it('counts the same however the writes split the frames, at every byte', () => {
    for (let split = 1; split < stream.length; split += 1) {
      expect(countIn([stream.subarray(0, split), stream.subarray(split)])).toEqual(expected);
    }
    expect(countIn([...stream].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('names an unknown kind by its byte', () => {
    expect(countIn([frame(9, Buffer.from([0]))])).toEqual([['kind9', 6, 0]]);
  });
});

/** A port free now (listened on and closed), for a peer the child process opens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The child: a link server that acks, a link client writing two records frames in one corked
 * writev, one write each to a "Kafka" and a "PostgreSQL" server, and a UDP datagram to itself.
 */
const CHILD = `
const net = require('node:net');
const dgram = require('node:dgram');
const frame = (kind, a, b) => { const f = Buffer.alloc(13); f.writeUInt32BE(9, 0); f[4] = kind; f.writeUInt32BE(a, 5); f.writeUInt32BE(b, 9); return f; };
const listen = (port, onData) => new Promise((resolve) => {
  const server = net.createServer((socket) => socket.on('data', (chunk) => onData(socket, chunk)));
  server.listen(port, '127.0.0.1', () => resolve(server));
});
const exchange = (port, write) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1', () => write(socket));
  socket.once('data', () => { socket.end(); resolve(); });
});
(async () => {
  const env = process.env;
  const link = await listen(Number(env.HERALD_EDGE_LINK_PORT), (socket) => socket.write(frame(3, 1, 2)));
  const kafka = await listen(Number(env.KAFKA_BROKERS.split(':')[1]), (socket) => socket.write('k'));
  const pg = await listen(Number(new URL(env.DATABASE_URL).port), (socket) => socket.write('p'));
  await exchange(Number(env.HERALD_EDGE_LINK_PORT), (socket) => {
    socket.cork();
    socket.write(frame(2, 1, 5));
    socket.write(frame(2, 2, 7));
    process.nextTick(() => socket.uncork());
  });
  await exchange(Number(env.KAFKA_BROKERS.split(':')[1]), (socket) => socket.write('request'));
  await exchange(Number(new URL(env.DATABASE_URL).port), (socket) => socket.write('query'));
  const udp = dgram.createSocket('udp4');
  await new Promise((resolve) => {
    udp.on('message', resolve);
    udp.bind(0, '127.0.0.1', () => udp.send('datagram', udp.address().port, '127.0.0.1'));
  });
  udp.close();
  for (const server of [link, kafka, pg]) server.close();
})();
`;

describe('the socket counter preload, in a process with real sockets', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'socket-count-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('counts writes and reads by peer, writev apart, link frames by kind and UDP datagrams', async () => {
    const [linkPort, kafkaPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    await promisify(execFile)(
      process.execPath,
      ['--require', join(__dirname, 'socket-write-counter.ts'), '-e', CHILD],
      {
        env: {
          PATH: process.env['PATH'],
          NODE_NO_WARNINGS: '1',
          SOCKET_COUNT_DIR: directory,
          HERALD_EDGE_LINK_PORT: String(linkPort),
          KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
          DATABASE_URL: `postgres://herald@127.0.0.1:${pgPort}/herald`,
        },
      },
    );
    const files = readdirSync(directory);
    expect(files).toHaveLength(1);
    const { perSecond } = JSON.parse(readFileSync(join(directory, files[0]!), 'utf8')) as CountedSockets;
    const total = (key: string) => (perSecond[key] ?? []).reduce((sum, count) => sum + count, 0);
    // Both ends live in the child: the link client's one writev of two frames, the server's ack.
    expect(total('tcp-write link')).toBe(2);
    expect(total('tcp-writev link')).toBe(1);
    expect(total('tcp-write-bytes link')).toBe(39);
    expect(total('link-frame records')).toBe(2);
    expect(total('link-records')).toBe(12);
    expect(total('link-frame ack')).toBe(1);
    expect(total('tcp-read link')).toBe(2);
    expect(total('tcp-write kafka')).toBe(1);
    expect(total('tcp-write pg')).toBe(1);
    // The servers' side of the Kafka and PostgreSQL sockets: the peer port is the client's.
    expect(total('tcp-write other')).toBe(2);
    expect(total('udp-send')).toBe(1);
    expect(total('udp-send-bytes')).toBe(8);
    expect(total('udp-receive')).toBe(1);
  });
});
