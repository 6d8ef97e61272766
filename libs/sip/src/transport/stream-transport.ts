import { createServer as createTcpServer, Server, Socket } from 'node:net';
import { createServer as createTlsServer, SecureContextOptions } from 'node:tls';
import { SipParseLimits, SipStreamReader } from '../message';
import { TransportAddress } from './address';
import { ConnectionFlow, ConnectionTable, socketAddress } from './connection-flow';
import { applyMaxConnections, ConnectionLimits, watchIdle } from './connection-limits';
import { Flow, Transport, TransportHandlers } from './flow';
import { closeServer, listenServer } from './server-lifecycle';
import { TransportError } from './transport-error';

/** RFC 5626 §4.4.1: the answer to a double-CRLF ping is one CRLF. */
const KEEPALIVE_PONG = Buffer.from('\r\n');

export interface StreamTransportOptions {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  /** Certificate and key; required for tls. */
  tls?: SecureContextOptions;
  limits?: ConnectionLimits;
  parseLimits?: Partial<SipParseLimits>;
}

/** SIP over TCP or TLS (RFC 3261 §18.3): Content-Length framing, each connection one flow. */
export class StreamTransport implements Transport {
  readonly reliable = true;
  readonly protocol: 'tcp' | 'tls';
  private readonly connections = new ConnectionTable();
  private server: Server | undefined;

  constructor(private readonly options: StreamTransportOptions) {
    this.protocol = options.protocol;
    if (options.protocol === 'tls' && options.tls === undefined)
      throw new RangeError('tls needs tls options');
  }

  async start(handlers: TransportHandlers): Promise<TransportAddress> {
    const onSocket = (socket: Socket): void => this.accept(socket, handlers);
    const server =
      this.options.protocol === 'tls'
        ? createTlsServer(this.options.tls ?? {}, onSocket)
        : createTcpServer(onSocket);
    applyMaxConnections(server, this.options.limits ?? {});
    server.on('tlsClientError', (cause: Error) =>
      handlers.error(new TransportError('socket-error', 'tls handshake failed', { cause })),
    );
    this.server = server;
    return listenServer(server, this.options.host, this.options.port, this.protocol);
  }

  async stop(): Promise<void> {
    this.connections.closeAll();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await closeServer(server);
  }

  findFlow(flowId: string): Flow | undefined {
    return this.connections.find(flowId);
  }

  private accept(socket: Socket, handlers: TransportHandlers): void {
    const flow: ConnectionFlow = new ConnectionFlow(
      this.protocol,
      socketAddress(socket.localAddress, socket.localPort),
      socketAddress(socket.remoteAddress, socket.remotePort),
      (data) => writeSocket(socket, data, flow.id),
    );
    this.connections.add(flow, () => socket.destroy());
    watchIdle(socket, this.options.limits ?? {}, () => socket.destroy());
    const reader = new SipStreamReader(
      {
        onMessage: (message) => handlers.message(message, flow),
        onKeepAlivePing: () => socket.write(KEEPALIVE_PONG),
        onInvalidMessage: (error) => handlers.invalidMessage(error, flow),
      },
      this.options.parseLimits,
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (cause) {
        // RFC 3261 §18.3: framing is lost after a bad Content-Length or an oversized message.
        handlers.error(
          new TransportError('framing-error', `stream framing lost on ${flow.id}`, { cause }),
          flow,
        );
        socket.destroy();
      }
    });
    socket.on('error', (cause) =>
      handlers.error(new TransportError('socket-error', `connection ${flow.id}`, { cause }), flow),
    );
    socket.on('close', () => {
      if (this.connections.remove(flow)) handlers.flowClosed(flow);
    });
  }
}

function writeSocket(socket: Socket, data: Buffer, flowId: string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(data, (cause) =>
      cause === undefined || cause === null
        ? resolve()
        : reject(new TransportError('send-failed', `write on ${flowId}`, { cause })),
    ),
  );
}
