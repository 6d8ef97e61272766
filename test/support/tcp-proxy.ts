import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TransportAddress } from '#herald/sip';

/**
 * A TCP relay on 127.0.0.1 in front of one of Herald's listeners: a test cuts every connection
 * through it (a real dropped connection for the client) and keeps new ones out until allow().
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private readonly server: Server;
  private boundPort = 0;

  private constructor(private readonly target: TransportAddress) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(target: TransportAddress): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy.boundPort = address.port;
    return proxy;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Cuts every relayed connection; with `refuse`, new ones are closed at once until allow(). */
  cut(options: { refuse?: boolean } = {}): void {
    this.refusing = options.refuse === true;
    for (const socket of this.sockets) socket.destroy();
  }

  allow(): void {
    this.refusing = false;
  }

  stop(): Promise<void> {
    this.cut({ refuse: true });
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private relay(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.address);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      // An error is followed by 'close', which ends both sides: the drop the client is meant to see.
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
