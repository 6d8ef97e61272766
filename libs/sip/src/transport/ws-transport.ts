import { isUtf8 } from 'node:buffer';
import { createServer as createHttpServer, IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { SecureContextOptions } from 'node:tls';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { resolveLimits, SipParseLimits } from '../message';
import { TransportAddress } from './address';
import { deliverDatagram } from './datagram';
import { ConnectionFlow, ConnectionTable, socketAddress } from './connection-flow';
import { applyMaxConnections, ConnectionLimits, watchIdle } from './connection-limits';
import { Flow, Transport, TransportHandlers } from './flow';
import { listenServer, closeServer } from './server-lifecycle';
import { TransportError } from './transport-error';

/** The WebSocket subprotocol for SIP (RFC 7118 §4.1). */
export const SIP_WS_SUBPROTOCOL = 'sip';

export interface WsTransportOptions {
  protocol: 'ws' | 'wss';
  host: string;
  port: number;
  /** Certificate and key; required for wss. */
  tls?: SecureContextOptions;
  limits?: ConnectionLimits;
  parseLimits?: Partial<SipParseLimits>;
}

function offersSipSubprotocol(request: IncomingMessage): boolean {
  const header = request.headers['sec-websocket-protocol'] ?? '';
  return header.split(',').some((protocol) => protocol.trim().toLowerCase() === SIP_WS_SUBPROTOCOL);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** SIP over WebSocket (RFC 7118): one SIP message per WebSocket message, each connection one flow. */
export class WsTransport implements Transport {
  readonly reliable = true;
  readonly protocol: 'ws' | 'wss';
  private readonly connections = new ConnectionTable();
  private server: HttpServer | undefined;
  private wss: WebSocketServer | undefined;

  constructor(private readonly options: WsTransportOptions) {
    this.protocol = options.protocol;
    if (options.protocol === 'wss' && options.tls === undefined)
      throw new RangeError('wss needs tls options');
  }

  async start(handlers: TransportHandlers): Promise<TransportAddress> {
    const server =
      this.options.protocol === 'wss' ? createHttpsServer(this.options.tls ?? {}) : createHttpServer();
    applyMaxConnections(server, this.options.limits ?? {});
    const wss = new WebSocketServer({
      server,
      maxPayload: resolveLimits(this.options.parseLimits).maxMessageBytes,
      // RFC 7118 §4.1: only connections that negotiate the "sip" subprotocol are SIP flows.
      verifyClient: (info: { req: IncomingMessage }) => offersSipSubprotocol(info.req),
      handleProtocols: (protocols: Set<string>) =>
        protocols.has(SIP_WS_SUBPROTOCOL) ? SIP_WS_SUBPROTOCOL : false,
    });
    wss.on('connection', (socket, request) => this.accept(socket, request, handlers));
    wss.on('error', (cause) =>
      handlers.error(new TransportError('socket-error', 'websocket server error', { cause })),
    );
    this.server = server;
    this.wss = wss;
    return listenServer(server, this.options.host, this.options.port, this.protocol);
  }

  async stop(): Promise<void> {
    this.connections.closeAll();
    const wss = this.wss;
    const server = this.server;
    this.wss = undefined;
    this.server = undefined;
    if (wss !== undefined) await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (server !== undefined) await closeServer(server);
  }

  findFlow(flowId: string): Flow | undefined {
    return this.connections.find(flowId);
  }

  private accept(socket: WebSocket, request: IncomingMessage, handlers: TransportHandlers): void {
    const raw = request.socket;
    const flow: ConnectionFlow = new ConnectionFlow(
      this.protocol,
      socketAddress(raw.localAddress, raw.localPort),
      socketAddress(raw.remoteAddress, raw.remotePort),
      (data) =>
        new Promise<void>((resolve, reject) =>
          // Text frames when possible: browser SIP stacks (SIP.js, JsSIP) expect them (RFC 7118 §5.1).
          socket.send(data, { binary: !isUtf8(data) }, (cause) =>
            cause === undefined || cause === null
              ? resolve()
              : reject(new TransportError('send-failed', `websocket send on ${flow.id}`, { cause })),
          ),
        ),
    );
    this.connections.add(flow, () => socket.terminate());
    watchIdle(raw, this.options.limits ?? {}, () => socket.terminate());
    socket.on('message', (data) => deliverDatagram(toBuffer(data), flow, handlers, this.options.parseLimits));
    socket.on('error', (cause) =>
      handlers.error(new TransportError('socket-error', `websocket ${flow.id}`, { cause }), flow),
    );
    socket.on('close', () => {
      if (this.connections.remove(flow)) handlers.flowClosed(flow);
    });
  }
}
