import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** One change a polling client may see: a buddy's status or an IM to it. */
export interface PollEvent {
  seq: number;
  kind: 'presence' | 'im';
  from: string;
  status?: string;
  text?: string;
}

/**
 * The HTTP polling baseline: clients POST /status and /im, and GET /poll?user=U&since=SEQ returns
 * what happened for U (its buddies' status changes, IMs to it) after SEQ. In memory, keep-alive.
 * Bytes are counted at every accepted socket, both directions.
 */
export class PollServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly inboxes = new Map<string, PollEvent[]>();
  private closedBytes = 0;
  private seq = 0;

  constructor(private readonly watchersOf: (user: string) => readonly string[]) {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const reply = (status: number, payload: unknown) => {
          const text = JSON.stringify(payload);
          response.writeHead(status, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          response.end(text);
        };
        if (request.method === 'GET' && url.pathname === '/poll') {
          const since = Number(url.searchParams.get('since') ?? 0);
          const inbox = this.inboxes.get(url.searchParams.get('user') ?? '') ?? [];
          reply(200, { seq: this.seq, events: inbox.filter((event) => event.seq > since) });
          this.inboxes.set(url.searchParams.get('user') ?? '', []);
          return;
        }
        const change = JSON.parse(body || '{}') as {
          user: string;
          status?: string;
          to?: string;
          text?: string;
        };
        if (request.method === 'POST' && url.pathname === '/status') {
          const seq = ++this.seq;
          for (const watcher of this.watchersOf(change.user)) {
            this.deliver(watcher, {
              seq,
              kind: 'presence',
              from: change.user,
              status: change.status ?? 'online',
              text: change.text ?? '',
            });
          }
          reply(200, { seq });
          return;
        }
        if (request.method === 'POST' && url.pathname === '/im' && change.to !== undefined) {
          const seq = ++this.seq;
          this.deliver(change.to, { seq, kind: 'im', from: change.user, text: change.text ?? '' });
          reply(200, { seq });
          return;
        }
        reply(404, { error: 'not-found' });
      });
    });
    this.server.keepAliveTimeout = 120_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => {
        this.closedBytes += socket.bytesRead + socket.bytesWritten;
        this.sockets.delete(socket);
      });
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      }),
    );
  }

  /** Bytes read and written on every socket so far (HTTP headers and bodies, no TCP/IP headers). */
  bytes(): number {
    let live = 0;
    for (const socket of this.sockets) live += socket.bytesRead + socket.bytesWritten;
    return this.closedBytes + live;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private deliver(user: string, event: PollEvent): void {
    const inbox = this.inboxes.get(user);
    if (inbox === undefined) this.inboxes.set(user, [event]);
    else inbox.push(event);
  }
}
