import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseMessage, SipMessage, type TransportAddress } from '#herald/sip';

export type RelayDirection = 'to-herald' | 'to-client';

/** One datagram that passed the relay (or was dropped there). */
export interface RelayedDatagram {
  direction: RelayDirection;
  message: SipMessage;
  dropped: boolean;
}

interface DropRule {
  direction: RelayDirection;
  matches: (message: SipMessage) => boolean;
}

/**
 * A UDP relay on 127.0.0.1 in front of Herald's UDP listener: each client gets its own socket
 * towards Herald (so Herald sees one flow per client, as without the relay), and a test can drop
 * the next datagram that matches a rule, one way or the other, to make a real loss.
 */
export class UdpRelay {
  readonly datagrams: RelayedDatagram[] = [];
  private readonly upstreams = new Map<string, Socket>();
  private readonly rules: DropRule[] = [];

  private constructor(
    private readonly front: Socket,
    private readonly target: TransportAddress,
    private readonly upstreamPort: number,
  ) {
    front.on('message', (data, client) => this.fromClient(data, client));
  }

  /**
   * `upstreamPort` fixes the port of 127.0.0.1 that Herald sees the client's datagrams come from
   * (a NAT's public port, which a later relay may reuse once this one stopped); for one client
   * only. Default: a port of its own per client.
   */
  static async start(target: TransportAddress, options: { upstreamPort?: number } = {}): Promise<UdpRelay> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
    return new UdpRelay(front, target, options.upstreamPort ?? 0);
  }

  get port(): number {
    return this.front.address().port;
  }

  /** Drops the next datagram going `direction` that `matches` (once). */
  dropNext(direction: RelayDirection, matches: (message: SipMessage) => boolean): void {
    this.rules.push({ direction, matches });
  }

  /** The datagrams going `direction` that match, dropped or passed, in order. */
  seen(direction: RelayDirection, matches: (message: SipMessage) => boolean): RelayedDatagram[] {
    return this.datagrams.filter((datagram) => datagram.direction === direction && matches(datagram.message));
  }

  async stop(): Promise<void> {
    const sockets = [this.front, ...this.upstreams.values()];
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  private fromClient(data: Buffer, client: RemoteInfo): void {
    const key = `${client.address}:${client.port}`;
    let upstream = this.upstreams.get(key);
    if (upstream === undefined) {
      const created = createSocket('udp4');
      created.bind(this.upstreamPort, '127.0.0.1');
      created.on('message', (reply) => {
        if (this.passes('to-client', reply)) this.front.send(reply, client.port, client.address);
      });
      this.upstreams.set(key, created);
      upstream = created;
    }
    if (this.passes('to-herald', data)) upstream.send(data, this.target.port, this.target.address);
  }

  /** Records the datagram and says whether it goes on (false when a rule drops it). */
  private passes(direction: RelayDirection, data: Buffer): boolean {
    const message = parseMessage(data);
    const rule = this.rules.findIndex(
      (candidate) => candidate.direction === direction && candidate.matches(message),
    );
    if (rule >= 0) this.rules.splice(rule, 1);
    this.datagrams.push({ direction, message, dropped: rule >= 0 });
    return rule < 0;
  }
}
