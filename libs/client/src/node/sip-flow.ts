// The client side of one SIP flow to Herald in Node: a UDP socket, a TCP or TLS connection framed by
// Content-Length (libs/sip's stream reader), or a WebSocket (RFC 7118). Each is one libs/sip Flow, so
// libs/sip's client transactions (RFC 3261 17.1.2: Timer E over UDP, Timer F everywhere) run over it.
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { connect as connectTcp, Socket as TcpSocket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { parseMessage, type SipMessage, SipParseError, SipStreamReader } from '../../../sip/src/message';
import type { TransportAddress } from '../../../sip/src/transport/address';
import type { Flow } from '../../../sip/src/transport/flow';
import { TransportError } from '../../../sip/src/transport/transport-error';

export type SipFlowProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** RFC 7118 §4: the WebSocket subprotocol of SIP. */
const SIP_WS_SUBPROTOCOL = 'sip';

/** What arrives on a flow: a parsed message, or bytes libs/sip refused (with what could be read). */
export type SipFlowInbound = { message: SipMessage } | { invalid: SipParseError };

export interface SipFlow extends Flow {
  readonly protocol: SipFlowProtocol;
  /** Host:port for Via and Contact (WebSocket clients use an .invalid host, RFC 7118 §5.2). */
  readonly sentBy: string;
  close(): Promise<void>;
}

type InboundHandler = (inbound: SipFlowInbound) => void;
/** The connection of a stream flow is gone (reset, or closed by either side). */
type FlowLostHandler = (reason: TransportError) => void;

export interface SipFlowOptions {
  /** The address to send from (UDP, TCP, TLS): 127.0.0.1 when Herald is on loopback, else any. */
  localAddress?: string;
  /** TLS options (certificate authority, server name, rejectUnauthorized) for `tls`. */
  tls?: ConnectionOptions;
}

function parseDatagram(data: Buffer): SipFlowInbound {
  try {
    return { message: parseMessage(data) };
  } catch (error) {
    if (error instanceof SipParseError) return { invalid: error };
    throw error;
  }
}

function sendFailure(what: string, cause: unknown): TransportError {
  return new TransportError('send-failed', what, { cause });
}

class UdpSipFlow implements SipFlow {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly id: string;
  readonly local: TransportAddress;
  private open = true;

  constructor(
    private readonly socket: UdpSocket,
    readonly remote: TransportAddress,
  ) {
    const bound = socket.address();
    this.local = { address: bound.address, port: bound.port };
    this.id = `udp-client:${bound.port}`;
  }

  get sentBy(): string {
    return `${this.local.address}:${this.local.port}`;
  }

  isOpen(): boolean {
    return this.open;
  }

  send(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, this.remote.port, this.remote.address, (cause) =>
        cause === null || cause === undefined ? resolve() : reject(sendFailure('udp send', cause)),
      ),
    );
  }

  close(): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.open = false;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

class StreamSipFlow implements SipFlow {
  readonly reliable = true;
  readonly id: string;
  readonly local: TransportAddress;

  constructor(
    readonly protocol: 'tcp' | 'tls',
    private readonly socket: TcpSocket,
    readonly remote: TransportAddress,
  ) {
    this.local = { address: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 };
    this.id = `${protocol}-client:${this.local.port}`;
  }

  get sentBy(): string {
    return `${this.local.address}:${this.local.port}`;
  }

  isOpen(): boolean {
    return !this.socket.destroyed;
  }

  send(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (cause) =>
        cause === null || cause === undefined ? resolve() : reject(sendFailure('stream write', cause)),
      ),
    );
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }
}

/** Names WebSocket clients: a WebSocket exposes no local port, and RFC 7118 clients invent a host anyway. */
let nextWsClientNumber = 1;

class WsSipFlow implements SipFlow {
  readonly reliable = true;
  readonly id: string;
  readonly sentBy: string;
  readonly local: TransportAddress = { address: '0.0.0.0', port: 0 };

  constructor(
    readonly protocol: 'ws' | 'wss',
    private readonly socket: WebSocket,
    clientNumber: number,
    readonly remote: TransportAddress,
  ) {
    this.id = `ws-client:${clientNumber}`;
    this.sentBy = `ws${clientNumber}-${process.pid}.invalid`;
  }

  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(data: Buffer): Promise<void> {
    if (!this.isOpen()) return Promise.reject(sendFailure('websocket send', new Error('not open')));
    // RFC 7118 §4.2: text frames for UTF-8 SIP; the global WebSocket queues and reports no callback.
    this.socket.send(data.toString('utf8'));
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.addEventListener('close', () => resolve(), { once: true });
      this.socket.close();
    });
  }
}

async function openUdp(
  remote: TransportAddress,
  onInbound: InboundHandler,
  localAddress: string | undefined,
): Promise<SipFlow> {
  const socket = createSocket(remote.address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, localAddress, () => resolve());
  });
  socket.on('message', (data) => onInbound(parseDatagram(data)));
  return new UdpSipFlow(socket, remote);
}

async function openStream(
  protocol: 'tcp' | 'tls',
  remote: TransportAddress,
  onInbound: InboundHandler,
  onLost: FlowLostHandler,
  options: SipFlowOptions,
): Promise<SipFlow> {
  const socket: TcpSocket = await new Promise((resolve, reject) => {
    const target = {
      host: remote.address,
      port: remote.port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    };
    const connected =
      protocol === 'tls'
        ? connectTls({ ...target, ...options.tls }, () => resolve(connected))
        : connectTcp(target, () => resolve(connected));
    connected.once('error', reject);
  });
  // RFC 3261 §18.3: a stream carries messages framed by Content-Length.
  const reader = new SipStreamReader({
    onMessage: (message) => onInbound({ message }),
    onKeepAlivePing: () => undefined,
    onInvalidMessage: (invalid) => onInbound({ invalid }),
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  // Without an 'error' listener a reset (ECONNRESET) is an uncaught exception.
  socket.on('error', (cause) =>
    onLost(
      new TransportError('socket-error', `${protocol} connection to Herald failed: ${cause.message}`, {
        cause,
      }),
    ),
  );
  socket.on('close', () =>
    onLost(new TransportError('flow-closed', `${protocol} connection to Herald closed`)),
  );
  return new StreamSipFlow(protocol, socket, remote);
}

async function openWs(
  protocol: 'ws' | 'wss',
  remote: TransportAddress,
  onInbound: InboundHandler,
  onLost: FlowLostHandler,
): Promise<SipFlow> {
  const host = remote.address.includes(':') ? `[${remote.address}]` : remote.address;
  const socket = new WebSocket(`${protocol}://${host}:${remote.port}`, SIP_WS_SUBPROTOCOL);
  socket.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener(
      'error',
      () => reject(new TransportError('socket-error', `cannot open ${protocol}://${host}:${remote.port}`)),
      { once: true },
    );
  });
  socket.addEventListener('message', (event) => {
    const data: unknown = event.data;
    onInbound(
      parseDatagram(Buffer.from(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer))),
    );
  });
  socket.addEventListener('error', () =>
    onLost(new TransportError('socket-error', `WebSocket to Herald failed`)),
  );
  socket.addEventListener('close', () =>
    onLost(new TransportError('flow-closed', 'WebSocket to Herald closed')),
  );
  return new WsSipFlow(protocol, socket, nextWsClientNumber++, remote);
}

/**
 * Opens a flow to Herald's listener for `protocol` at `remote`; `onLost` hears when a TCP, TLS or
 * WebSocket connection ends (UDP has none: a lost path shows as Timer F).
 */
export function openSipFlow(
  protocol: SipFlowProtocol,
  remote: TransportAddress,
  onInbound: InboundHandler,
  onLost: FlowLostHandler,
  options: SipFlowOptions = {},
): Promise<SipFlow> {
  switch (protocol) {
    case 'udp':
      return openUdp(remote, onInbound, options.localAddress);
    case 'tcp':
    case 'tls':
      return openStream(protocol, remote, onInbound, onLost, options);
    case 'ws':
    case 'wss':
      return openWs(protocol, remote, onInbound, onLost);
  }
}
