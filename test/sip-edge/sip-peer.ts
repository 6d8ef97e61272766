// A raw SIP endpoint on 127.0.0.1 for the edge's integration tests: real UDP, TCP or WebSocket
// packets, every message parsed by libs/sip and kept with its arrival time.
import { randomBytes } from 'node:crypto';
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { connect, Socket as TcpSocket } from 'node:net';
import { WebSocket } from 'ws';
import { parseMessage, serializeMessage, SipMessage, SipStreamReader } from '#herald/sip';

/** How long a test waits for one SIP message before failing. */
export const RECEIVE_TIMEOUT_MS = 5_000;

export interface Received {
  message: SipMessage;
  at: number;
}

export type PeerTransport = 'udp' | 'tcp' | 'ws';

/** One client socket or connection: what a device's flow is from the edge's side. */
export abstract class SipPeer {
  readonly received: Received[] = [];
  abstract readonly transport: PeerTransport;
  /** The Contact a device on this socket registers (RFC 7118 §5: an .invalid host for WebSocket). */
  abstract contact(user: string): string;
  private waiters: (() => void)[] = [];

  /** Sends raw bytes (a message as text, or deliberately malformed input). */
  abstract sendRaw(data: Buffer | string): Promise<void>;
  abstract close(): Promise<void>;

  send(message: SipMessage): Promise<void> {
    return this.sendRaw(serializeMessage(message));
  }

  /** Resolves with the first received message (from `from` on) that matches. */
  async next(
    predicate: (message: SipMessage) => boolean,
    from = 0,
    timeoutMs = RECEIVE_TIMEOUT_MS,
  ): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find((r) => predicate(r.message));
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching SIP message within ${timeoutMs} ms on ${this.transport}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  protected deliver(message: SipMessage): void {
    this.received.push({ message, at: performance.now() });
    for (const wake of this.waiters.splice(0)) wake();
  }
}

export class UdpPeer extends SipPeer {
  readonly transport = 'udp';
  private constructor(
    private readonly socket: UdpSocket,
    private readonly edgePort: number,
  ) {
    super();
    socket.on('message', (data) => this.deliver(parseMessage(data)));
  }

  static async open(edgePort: number): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new UdpPeer(socket, edgePort);
  }

  contact(user: string): string {
    return `sip:${user}@127.0.0.1:${this.socket.address().port}`;
  }

  sendRaw(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, this.edgePort, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export class TcpPeer extends SipPeer {
  readonly transport = 'tcp';
  private constructor(private readonly socket: TcpSocket) {
    super();
    const reader = new SipStreamReader({
      onMessage: (message) => this.deliver(message),
      onKeepAlivePing: () => undefined,
      onInvalidMessage: (error) => {
        throw error;
      },
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  static async open(edgePort: number): Promise<TcpPeer> {
    const socket = connect(edgePort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new TcpPeer(socket);
  }

  contact(user: string): string {
    return `sip:${user}@127.0.0.1:${this.socket.localPort ?? 0};transport=tcp`;
  }

  sendRaw(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.end(() => resolve()));
  }
}

export class WsPeer extends SipPeer {
  readonly transport = 'ws';
  private constructor(private readonly socket: WebSocket) {
    super();
    socket.on('message', (data: Buffer) => this.deliver(parseMessage(data)));
  }

  static async open(edgePort: number): Promise<WsPeer> {
    const socket = new WebSocket(`ws://127.0.0.1:${edgePort}`, 'sip');
    await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
    return new WsPeer(socket);
  }

  private readonly host = `${randomBytes(4).toString('hex')}.invalid`;

  contact(user: string): string {
    return `sip:${user}@${this.host};transport=ws`;
  }

  sendRaw(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
