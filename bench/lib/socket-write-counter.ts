/**
 * A preload that counts a process's socket I/O, per second: TCP writes (each `_write`/`_writev` of
 * a net.Socket is one write/writev system call, bar a partial write) and reads ('data' chunks) with
 * their bytes, by peer: the edge link, Kafka, PostgreSQL or other; UDP datagrams sent and received;
 * and the edge link's frames by kind (hello, records, ack, as written on the wire) with the records
 * the records frames carry. Load it in every process a bench starts through NODE_OPTIONS, and
 * `bench/socket-writes.ts` divides the counts of each cpu-per-op step by its operations.
 *
 *   SOCKET_COUNT_DIR=/tmp/counts NODE_OPTIONS="--require $PWD/dist/bench/lib/socket-write-counter.js" \
 *     node dist/bench/cpu-per-op.js --mode kafka ... --out /tmp/counts/steps.jsonl
 *
 * The peer is told by port, from the process's own environment: the link's (HERALD_EDGE_LINK_PORT
 * on the edge, HERALD_EDGE_LINK_ADDRESSES on the services), the brokers' (KAFKA_BROKERS) and the
 * database's (DATABASE_URL). At exit each process writes `<app>-<pid>.json` (CountedSockets) into
 * SOCKET_COUNT_DIR; <app> is the directory of its main script under dist/apps (else the script's name: the bench's own processes). Without
 * SOCKET_COUNT_DIR it does nothing. It wraps node's net and dgram sockets, so the apps run unmodified.
 */
import { Socket as UdpSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { basename, join } from 'node:path';

/**
 * What a process wrote: counts in each second since `startedAt`, by key: `tcp-write <peer>` (of
 * which `tcp-writev <peer>`: several chunks gathered in one writev), `tcp-write-bytes <peer>`,
 * `tcp-read <peer>`, `tcp-read-bytes <peer>`, `udp-send`, `udp-send-bytes`, `udp-receive`,
 * `link-frame <kind>` (frames this process wrote), `link-frame-bytes <kind>` and `link-records`
 * (records in the records frames it wrote).
 */
export interface CountedSockets {
  app: string;
  pid: number;
  /** Epoch ms of second 0. */
  startedAt: number;
  perSecond: Record<string, number[]>;
}

export type Peer = 'link' | 'kafka' | 'pg' | 'other';

/** The edge link's frame kinds (libs/bus/src/edge-link/link-frame.ts); another byte is counted as `kind<N>`. */
const FRAME_KINDS: Record<number, string> = { 1: 'hello', 2: 'records', 3: 'ack' };
/** Bytes of a frame read before it is counted: u8 kind, then a records frame's u32 frameId and u32 count. */
const FRAME_PREFIX_BYTES = 9;

/**
 * Follows the frames one side of an edge link connection writes, across writes (a frame may span
 * several, a write hold several), and counts each once its kind (and a records frame's count) is read.
 */
export class LinkFrameCounter {
  private readonly header = Buffer.alloc(4 + FRAME_PREFIX_BYTES);
  private headerBytes = 0;
  /** Bytes of the current frame (after its length) not read yet. */
  private remaining = 0;
  private frameBytes = 0;

  private readonly counted: (kind: string, bytes: number, records: number) => void;

  // A plain field, not a parameter property: node runs this file with its type stripping in the spec.
  constructor(counted: (kind: string, bytes: number, records: number) => void) {
    this.counted = counted;
  }

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.headerBytes < 4) {
        this.header[this.headerBytes++] = chunk[at++]!;
        if (this.headerBytes === 4) {
          this.remaining = this.header.readUInt32BE(0);
          this.frameBytes = 4 + this.remaining;
        }
        continue;
      }
      const prefixWanted = Math.min(FRAME_PREFIX_BYTES, this.frameBytes - 4);
      if (this.headerBytes < 4 + prefixWanted) {
        this.header[this.headerBytes++] = chunk[at++]!;
        this.remaining -= 1;
        if (this.headerBytes === 4 + prefixWanted) this.prefixRead(prefixWanted);
      } else {
        const skipped = Math.min(this.remaining, chunk.length - at);
        at += skipped;
        this.remaining -= skipped;
      }
      if (this.remaining === 0 && this.headerBytes === 4 + prefixWanted) this.headerBytes = 0;
    }
  }

  private prefixRead(prefixBytes: number): void {
    const kindByte = this.header[4]!;
    const kind = FRAME_KINDS[kindByte] ?? `kind${kindByte}`;
    const records =
      kind === 'records' && prefixBytes === FRAME_PREFIX_BYTES ? this.header.readUInt32BE(9) : 0;
    this.counted(kind, this.frameBytes, records);
  }
}

/** Ports of `host:port` items, comma-separated (an item may be `name=host:port`). */
function portsOf(list: string | undefined): number[] {
  return (list ?? '')
    .split(',')
    .map((item) => Number(item.slice(item.lastIndexOf(':') + 1)))
    .filter((port) => Number.isInteger(port) && port > 0);
}

function databasePort(url: string | undefined): number[] {
  if (url === undefined || url === '') return [];
  try {
    return [Number(new URL(url).port || 5432)];
  } catch {
    return [];
  }
}

/** The app (its directory under dist/apps), else the script's name (the bench's own processes). */
function appOf(script: string): string {
  return /\/apps\/([^/]+)\/src\//.exec(script)?.[1] ?? basename(script, '.js');
}

const directory = process.env['SOCKET_COUNT_DIR'];
if (directory !== undefined && directory !== '') {
  const counted: CountedSockets = {
    app: appOf(process.argv[1] ?? 'unknown'),
    pid: process.pid,
    startedAt: Date.now(),
    perSecond: {},
  };
  const add = (key: string, amount: number): void => {
    const second = Math.floor((Date.now() - counted.startedAt) / 1000);
    const seconds = (counted.perSecond[key] ??= []);
    while (seconds.length <= second) seconds.push(0);
    seconds[second] = (seconds[second] ?? 0) + amount;
  };
  const linkPorts = new Set([
    Number(process.env['HERALD_EDGE_LINK_PORT']),
    ...portsOf(process.env['HERALD_EDGE_LINK_ADDRESSES']),
  ]);
  const kafkaPorts = new Set(portsOf(process.env['KAFKA_BROKERS']));
  const pgPorts = new Set(databasePort(process.env['DATABASE_URL']));
  const peers = new WeakMap<Socket, Peer>();
  const peerOf = (socket: Socket): Peer => {
    const known = peers.get(socket);
    if (known !== undefined) return known;
    const { localPort, remotePort } = socket;
    if (remotePort === undefined) return 'other';
    let peer: Peer = 'other';
    if (linkPorts.has(remotePort) || (localPort !== undefined && linkPorts.has(localPort))) peer = 'link';
    else if (kafkaPorts.has(remotePort)) peer = 'kafka';
    else if (pgPorts.has(remotePort)) peer = 'pg';
    peers.set(socket, peer);
    return peer;
  };
  const frameCounters = new WeakMap<Socket, LinkFrameCounter>();
  const written = (socket: Socket, chunks: ReadonlyArray<Buffer | string>, gathered: boolean): void => {
    const peer = peerOf(socket);
    add(`tcp-write ${peer}`, 1);
    // A profile shows these as `writev`, the single-chunk ones as `writeBuffer`.
    if (gathered) add(`tcp-writev ${peer}`, 1);
    let bytes = 0;
    for (const chunk of chunks) bytes += Buffer.byteLength(chunk);
    add(`tcp-write-bytes ${peer}`, bytes);
    if (peer !== 'link') return;
    let frames = frameCounters.get(socket);
    if (frames === undefined) {
      frames = new LinkFrameCounter((kind, frameBytes, records) => {
        add(`link-frame ${kind}`, 1);
        add(`link-frame-bytes ${kind}`, frameBytes);
        if (records > 0) add('link-records', records);
      });
      frameCounters.set(socket, frames);
    }
    for (const chunk of chunks) frames.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  type WriteCallback = (error?: Error | null) => void;
  type Buffered = Buffer | string | { chunk: Buffer | string };
  const socketMethods = Socket.prototype as unknown as {
    _write(chunk: Buffer | string, encoding: BufferEncoding, callback: WriteCallback): void;
    _writev(chunks: Buffered[], callback: WriteCallback): void;
    push(chunk: unknown, encoding?: BufferEncoding): boolean;
  };
  const { _write, _writev, push } = socketMethods;
  socketMethods._write = function (this: Socket, chunk, encoding, callback) {
    written(this, [chunk], false);
    return _write.call(this, chunk, encoding, callback);
  };
  socketMethods._writev = function (this: Socket, chunks, callback) {
    written(
      this,
      chunks.map((entry) => (typeof entry === 'object' && 'chunk' in entry ? entry.chunk : entry)),
      true,
    );
    return _writev.call(this, chunks, callback);
  };
  socketMethods.push = function (this: Socket, chunk, encoding) {
    if (Buffer.isBuffer(chunk)) {
      const peer = peerOf(this);
      add(`tcp-read ${peer}`, 1);
      add(`tcp-read-bytes ${peer}`, chunk.length);
    }
    return push.call(this, chunk, encoding);
  };

  const udpMethods = UdpSocket.prototype as unknown as {
    send(message: unknown, ...rest: unknown[]): void;
    emit(event: string | symbol, ...args: unknown[]): boolean;
  };
  const { send, emit } = udpMethods;
  udpMethods.send = function (this: UdpSocket, message, ...rest) {
    add('udp-send', 1);
    const parts = Array.isArray(message) ? message : [message];
    let bytes = 0;
    for (const part of parts)
      bytes += typeof part === 'string' || Buffer.isBuffer(part) ? Buffer.byteLength(part) : 0;
    add('udp-send-bytes', bytes);
    return send.call(this, message, ...rest);
  };
  udpMethods.emit = function (this: UdpSocket, event, ...args) {
    if (event === 'message') add('udp-receive', 1);
    return emit.call(this, event, ...args);
  };

  process.on('exit', () => {
    if (Object.keys(counted.perSecond).length > 0) {
      writeFileSync(join(directory, `${counted.app}-${counted.pid}.json`), JSON.stringify(counted));
    }
  });
}
