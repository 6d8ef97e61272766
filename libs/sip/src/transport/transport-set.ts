import { TransportAddress } from './address';
import { Flow, Transport, TransportHandlers } from './flow';
import { TransportError } from './transport-error';
import { UdpTransport } from './udp-transport';

/** All transports of one SIP endpoint, started together, with flow lookup by id across them. */
export class TransportSet {
  constructor(readonly transports: readonly Transport[]) {}

  /** Starts every transport; resolves with the bound addresses in the same order. */
  async start(handlers: TransportHandlers): Promise<TransportAddress[]> {
    const bound: TransportAddress[] = [];
    try {
      for (const transport of this.transports) bound.push(await transport.start(handlers));
    } catch (error) {
      await this.stop();
      throw error;
    }
    return bound;
  }

  async stop(): Promise<void> {
    await Promise.all(this.transports.map((transport) => transport.stop()));
  }

  findFlow(flowId: string): Flow | undefined {
    for (const transport of this.transports) {
      const flow = transport.findFlow(flowId);
      if (flow !== undefined) return flow;
    }
    return undefined;
  }

  /** The flow a registration named, or `no-flow` when its connection or socket is gone. */
  requireFlow(flowId: string): Flow {
    const flow = this.findFlow(flowId);
    if (flow === undefined || !flow.isOpen())
      throw new TransportError('no-flow', `flow ${flowId} is not held here`);
    return flow;
  }

  /**
   * Where a response to a request received on `requestFlow` goes (RFC 3261 §18.2.2): the same
   * connection for reliable transports; for UDP the same socket towards `udpTarget`.
   */
  responseFlow(requestFlow: Flow, udpTarget: TransportAddress): Flow {
    if (requestFlow.reliable) return requestFlow;
    const socket = this.transports.find(
      (transport): transport is UdpTransport =>
        transport instanceof UdpTransport && transport.carries(requestFlow),
    );
    if (socket === undefined)
      throw new TransportError('no-flow', `udp socket of ${requestFlow.id} is closed`);
    // Most requests are answered where they came from (rport, or sent-by the source): that flow.
    const { remote } = requestFlow;
    return remote.address === udpTarget.address && remote.port === udpTarget.port
      ? requestFlow
      : socket.flowTo(udpTarget);
  }
}
