// The client side of one SIP flow for the end-to-end tests: a real UDP socket, TCP or TLS connection
// or WebSocket on 127.0.0.1, each one libs/sip Flow so libs/sip's client transactions run over it.
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { connect as connectTcp, Socket as TcpSocket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { WebSocket } from 'ws';
import {
  Flow,
  parseMessage,
  SIP_WS_SUBPROTOCOL,
  SipMessage,
  SipParseError,
  SipStreamReader,
  TransportAddress,
  TransportError,
} from '#herald/sip';

export type ClientProtocol = 'udp' | 'tcp' | 'tls' | 'ws';

/** What arrives on a client flow: a parsed message, or bytes libs/sip refused (kept for assertions). */
export type ClientInbound = { message: SipMessage } | { invalid: SipParseError };

export interface ClientFlow extends Flow {
  readonly protocol: ClientProtocol;
  /** Host:port for Via and Contact (WebSocket clients use an .invalid host, RFC 7118 §5.2). */
  readonly sentBy: string;
  close(): Promise<void>;
}

type InboundHandler = (inbound: ClientInbound) => void;
/** The connection of a stream flow is gone (reset by a killed edge, closed by either side). */
type FlowLostHandler = (reason: TransportError) => void;

const LOOPBACK = '127.0.0.1';

function parseDatagram(data: Buffer): ClientInbound {
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

class UdpClientFlow implements ClientFlow {
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

class StreamClientFlow implements ClientFlow {
  readonly reliable = true;
  readonly id: string;
  readonly local: TransportAddress;

  constructor(
    readonly protocol: 'tcp' | 'tls',
    private readonly socket: TcpSocket,
    readonly remote: TransportAddress,
  ) {
    this.local = { address: socket.localAddress ?? LOOPBACK, port: socket.localPort ?? 0 };
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

/** Names WebSocket clients: `ws` exposes no local port, and RFC 7118 clients invent a host anyway. */
let nextWsClientNumber = 1;

class WsClientFlow implements ClientFlow {
  readonly protocol = 'ws' as const;
  readonly reliable = true;
  readonly id: string;
  readonly sentBy: string;
  readonly local: TransportAddress = { address: LOOPBACK, port: 0 };

  constructor(
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
    return new Promise((resolve, reject) =>
      this.socket.send(data.toString('utf8'), (cause) =>
        cause === null || cause === undefined ? resolve() : reject(sendFailure('websocket send', cause)),
      ),
    );
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

async function openUdp(
  remote: TransportAddress,
  onInbound: InboundHandler,
  localAddress: string,
): Promise<ClientFlow> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, localAddress, () => resolve());
  });
  socket.on('message', (data) => onInbound(parseDatagram(data)));
  return new UdpClientFlow(socket, remote);
}

async function openStream(
  protocol: 'tcp' | 'tls',
  remote: TransportAddress,
  onInbound: InboundHandler,
  onLost: FlowLostHandler,
  localAddress: string,
): Promise<ClientFlow> {
  const socket: TcpSocket = await new Promise((resolve, reject) => {
    const target = { host: remote.address, port: remote.port, localAddress };
    // The embedded default's certificate is self-signed for loopback; the tests do not check it.
    const connected =
      protocol === 'tls'
        ? connectTls({ ...target, rejectUnauthorized: false }, () => resolve(connected))
        : connectTcp(target, () => resolve(connected));
    connected.once('error', reject);
  });
  const reader = new SipStreamReader({
    onMessage: (message) => onInbound({ message }),
    onKeepAlivePing: () => undefined,
    onInvalidMessage: (invalid) => onInbound({ invalid }),
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  // Without an 'error' listener a reset (ECONNRESET from a killed edge) is an uncaught exception.
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
  return new StreamClientFlow(protocol, socket, remote);
}

async function openWs(
  remote: TransportAddress,
  onInbound: InboundHandler,
  onLost: FlowLostHandler,
): Promise<ClientFlow> {
  const socket = new WebSocket(`ws://${remote.address}:${remote.port}`, SIP_WS_SUBPROTOCOL);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('message', (data: Buffer) => onInbound(parseDatagram(Buffer.from(data))));
  // As for TCP: a reset from a killed edge must end the flow, not throw as an unhandled 'error'.
  socket.on('error', (cause) =>
    onLost(new TransportError('socket-error', `WebSocket to Herald failed: ${cause.message}`, { cause })),
  );
  socket.on('close', () => onLost(new TransportError('flow-closed', 'WebSocket to Herald closed')));
  return new WsClientFlow(socket, nextWsClientNumber++, remote);
}

/**
 * Opens a flow to Herald's listener for `protocol` at `remote`, from `localAddress` (another
 * 127.0.0.0/8 address is another source to Herald; WebSocket always from 127.0.0.1); `onLost`
 * hears when a TCP/TLS/WS connection ends.
 */
export function openClientFlow(
  protocol: ClientProtocol,
  remote: TransportAddress,
  onInbound: InboundHandler,
  onLost: FlowLostHandler,
  localAddress = LOOPBACK,
): Promise<ClientFlow> {
  switch (protocol) {
    case 'udp':
      return openUdp(remote, onInbound, localAddress);
    case 'tcp':
    case 'tls':
      return openStream(protocol, remote, onInbound, onLost, localAddress);
    case 'ws':
      return openWs(remote, onInbound, onLost);
  }
}
