// A TCP relay on loopback between one Herald process and PostgreSQL, through which the chaos test
// cuts or slows that one process's link without touching the others': a partition holds every
// byte in both directions (as a network that drops packets does, TCP retransmitting them once it
// heals) and a slow link delays every chunk, as a database on a slow disk answers late.
import { createServer, type Server, type Socket, connect } from 'node:net';

export type RelayMode = { kind: 'open' } | { kind: 'partitioned' } | { kind: 'slow'; delayMs: number };

interface Pipe {
  readonly from: Socket;
  readonly to: Socket;
  /** Chunks waiting for the link to open or for their delay, in order. */
  readonly held: Buffer[];
  flushing: boolean;
}

export class TcpRelay {
  private mode: RelayMode = { kind: 'open' };
  private readonly pipes = new Set<Pipe>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 (an ephemeral port) and relays every connection to `upstream`. */
  static async start(upstream: { host: string; port: number }): Promise<TcpRelay> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the relay has no TCP port');
    const relay = new TcpRelay(server, address.port);
    server.on('connection', (client) => relay.accept(client, upstream));
    return relay;
  }

  get currentMode(): RelayMode {
    return this.mode;
  }

  setMode(mode: RelayMode): void {
    this.mode = mode;
    for (const pipe of this.pipes) this.flush(pipe);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, upstream: { host: string; port: number }): void {
    const server = connect(upstream.port, upstream.host);
    for (const socket of [client, server]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      // Either side ending ends the other: PostgreSQL restarting, or the Herald process dying.
      // An 'error' (a reset) is always followed by 'close', which does that.
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        server.destroy();
      });
    }
    this.pipe(client, server);
    this.pipe(server, client);
  }

  private pipe(from: Socket, to: Socket): void {
    const pipe: Pipe = { from, to, held: [], flushing: false };
    this.pipes.add(pipe);
    from.on('close', () => this.pipes.delete(pipe));
    from.on('data', (chunk: Buffer) => {
      pipe.held.push(chunk);
      this.flush(pipe);
    });
  }

  /** Forwards the held chunks as the mode allows: all now, none, or each after its delay. */
  private flush(pipe: Pipe): void {
    if (pipe.flushing) return;
    const mode = this.mode;
    if (mode.kind === 'partitioned') return;
    if (mode.kind === 'open') {
      for (const chunk of pipe.held.splice(0)) pipe.to.write(chunk);
      return;
    }
    const chunk = pipe.held.shift();
    if (chunk === undefined) return;
    pipe.flushing = true;
    setTimeout(() => {
      pipe.flushing = false;
      if (!pipe.to.destroyed) pipe.to.write(chunk);
      this.flush(pipe);
    }, mode.delayMs);
  }
}
