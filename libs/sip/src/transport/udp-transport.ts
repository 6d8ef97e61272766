import { createSocket, Socket } from 'node:dgram';
import { lookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { SipParseLimits } from '../message';
import { TransportAddress } from './address';
import { deliverDatagram } from './datagram';
import { Flow, Transport, TransportHandlers } from './flow';
import { TransportError } from './transport-error';
import { readUdpReceiveDrops } from './udp-socket-table';

export interface UdpTransportOptions {
  host: string;
  port: number;
  parseLimits?: Partial<SipParseLimits>;
  /**
   * SO_RCVBUF to ask for, in bytes: what the socket holds while the process is busy elsewhere.
   * Unset keeps the kernel's default (Linux: net.core.rmem_default, often 208 KiB).
   */
  receiveBufferBytes?: number;
}

/** Linux doubles a requested SO_RCVBUF to leave room for its per-datagram bookkeeping (socket(7)). */
const KERNEL_RECEIVE_BUFFER_FACTOR = process.platform === 'linux' ? 2 : 1;

/** The receive buffer a listening socket got. */
export interface UdpReceiveBuffer {
  requestedBytes: number | undefined;
  /** SO_RCVBUF as the kernel reports it (Linux: twice the request, the request first capped at net.core.rmem_max). */
  effectiveBytes: number;
  /** The kernel gave less than asked (Linux: net.core.rmem_max is below the request). */
  capped: boolean;
}

/** UDP flows are socket + remote address: `udp:<local port>:<remote ip>:<remote port>`. */
class UdpFlow implements Flow {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private name: string | undefined;

  constructor(
    readonly transport: UdpTransport,
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
  ) {}

  /**
   * Built when first read: a flow is made per datagram, and a response to a push (three of the four
   * datagrams an IM brings in) is matched to its transaction without its flow's name.
   */
  get id(): string {
    this.name ??= `udp:${this.local.port}:${this.remote.address}:${this.remote.port}`;
    return this.name;
  }

  isOpen(): boolean {
    return this.transport.isListening();
  }

  send(data: Buffer): Promise<void> {
    return this.transport.sendTo(data, this.remote);
  }
}

const UDP_FLOW_ID = /^udp:(\d+):(.+):(\d+)$/;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private socket: Socket | undefined;
  private local: TransportAddress | undefined;
  private buffer: UdpReceiveBuffer | undefined;

  constructor(private readonly options: UdpTransportOptions) {}

  async start(handlers: TransportHandlers): Promise<TransportAddress> {
    const socket = createSocket({
      type: isIP(this.options.host) === 6 ? 'udp6' : 'udp4',
      lookup: literalFirstLookup,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (cause) =>
        reject(
          new TransportError('listen-failed', `udp bind ${this.options.host}:${this.options.port}`, {
            cause,
          }),
        ),
      );
      socket.bind(this.options.port, this.options.host, () => {
        try {
          this.buffer = applyReceiveBuffer(socket, this.options.receiveBufferBytes);
          resolve();
        } catch (cause) {
          socket.close();
          reject(
            new TransportError('listen-failed', `udp receive buffer of ${this.options.host}`, { cause }),
          );
        }
      });
    });
    const bound = socket.address();
    const local = { address: bound.address, port: bound.port };
    socket.removeAllListeners('error');
    socket.on('error', (cause) =>
      handlers.error(new TransportError('socket-error', 'udp socket error', { cause })),
    );
    socket.on('message', (data, remote) => {
      const flow = new UdpFlow(this, local, { address: remote.address, port: remote.port });
      deliverDatagram(data, flow, handlers, this.options.parseLimits);
    });
    this.socket = socket;
    this.local = local;
    return local;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.buffer = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  isListening(): boolean {
    return this.socket !== undefined;
  }

  /** The receive buffer of the listening socket; undefined until started. */
  get receiveBuffer(): UdpReceiveBuffer | undefined {
    return this.buffer;
  }

  /**
   * Datagrams the kernel dropped on this socket since it was opened (its receive queue was full);
   * undefined when not listening or where the kernel does not say (not Linux).
   */
  receiveDrops(): Promise<number | undefined> {
    return this.local === undefined || this.socket === undefined
      ? Promise.resolve(undefined)
      : readUdpReceiveDrops(this.local);
  }

  /** A flow to any address from this socket: responses follow Via received/rport (RFC 3581 §4). */
  flowTo(remote: TransportAddress): Flow {
    if (this.local === undefined) throw new TransportError('flow-closed', 'udp transport is not listening');
    return new UdpFlow(this, this.local, remote);
  }

  /** The flow is this started socket's: what `findFlow(flow.id)` finds, without parsing the id. */
  carries(flow: Flow): boolean {
    return flow instanceof UdpFlow && flow.transport === this && this.local !== undefined;
  }

  findFlow(flowId: string): Flow | undefined {
    const match = UDP_FLOW_ID.exec(flowId);
    if (match === null || this.local === undefined || Number(match[1]) !== this.local.port) return undefined;
    return this.flowTo({ address: match[2], port: Number(match[3]) });
  }

  sendTo(data: Buffer, remote: TransportAddress): Promise<void> {
    const socket = this.socket;
    if (socket === undefined)
      return Promise.reject(new TransportError('flow-closed', 'udp transport is closed'));
    return new Promise((resolve, reject) => {
      socket.send(data, remote.port, remote.address, (cause) =>
        cause === null || cause === undefined
          ? resolve()
          : reject(
              new TransportError('send-failed', `udp send to ${remote.address}:${remote.port}`, { cause }),
            ),
      );
    });
  }
}

/**
 * dgram resolves the address of every send through `lookup`; dns.lookup answers an IP literal (every
 * address Herald sends to: a packet's source, Via received) only on the next tick, so each datagram
 * cost a tick and a closure before its sendto (~2 % of the edge's CPU per IM). A literal is answered
 * at once, as dns.lookup would answer it; a name still goes to dns.lookup.
 */
function literalFirstLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else lookup(hostname, options, callback);
}

/** Sets SO_RCVBUF (when asked) on a bound socket and reads back what the kernel granted. */
function applyReceiveBuffer(socket: Socket, requestedBytes: number | undefined): UdpReceiveBuffer {
  if (requestedBytes !== undefined) socket.setRecvBufferSize(requestedBytes);
  const effectiveBytes = socket.getRecvBufferSize();
  return {
    requestedBytes,
    effectiveBytes,
    capped: requestedBytes !== undefined && effectiveBytes < requestedBytes * KERNEL_RECEIVE_BUFFER_FACTOR,
  };
}
