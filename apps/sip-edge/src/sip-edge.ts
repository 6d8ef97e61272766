import { EventBus } from '#herald/bus';
import {
  Clock,
  StreamTransport,
  SystemClock,
  TransactionLayer,
  Transport,
  TransportAddress,
  TransportProtocol,
  TransportSet,
  UdpTransport,
  WsTransport,
} from '#herald/sip';
import { SipEdgeConfig } from './edge-config';
import { createEdgeCore } from './edge-core';
import { FlowRegistry } from './flows/flow-registry';
import { OutboundConsumer } from './outbound/outbound-consumer';
import { PushSender } from './outbound/push-sender';
import { edgeLogger } from './edge-logger';

export interface SipEdgeDeps {
  bus: EventBus;
  config: SipEdgeConfig;
  /** Injected by unit tests; the system clock otherwise. */
  clock?: Clock;
}

/** A bound listening address per transport, once started. */
export type BoundAddresses = Partial<Record<TransportProtocol, TransportAddress>>;

function transportsOf(config: SipEdgeConfig): Transport[] {
  const { bindHost: host, ports, tls } = config;
  const transports: Transport[] = [];
  if (ports.udp !== undefined) transports.push(new UdpTransport({ host, port: ports.udp }));
  if (ports.tcp !== undefined)
    transports.push(new StreamTransport({ protocol: 'tcp', host, port: ports.tcp }));
  if (ports.tls !== undefined)
    transports.push(new StreamTransport({ protocol: 'tls', host, port: ports.tls, tls }));
  if (ports.ws !== undefined) transports.push(new WsTransport({ protocol: 'ws', host, port: ports.ws }));
  if (ports.wss !== undefined)
    transports.push(new WsTransport({ protocol: 'wss', host, port: ports.wss, tls }));
  return transports;
}

/**
 * The SIP edge, wired: transports -> transaction layer -> inbound pipeline -> method handlers ->
 * bus; bus -> outbound consumer -> pushes and REGISTER answers. Stateless apart from live
 * transactions and the flows of devices registered here.
 */
export class SipEdge {
  readonly registry: FlowRegistry;
  private readonly logger = edgeLogger('SipEdge');
  private readonly transports: TransportSet;
  private readonly layer: TransactionLayer;
  private readonly consumer: OutboundConsumer;
  private bound: BoundAddresses = {};

  readonly config: SipEdgeConfig;

  constructor(deps: SipEdgeDeps) {
    const { bus, config } = deps;
    this.config = config;
    const clock = deps.clock ?? new SystemClock();
    const { registry, pending, publisher, pipeline } = createEdgeCore(
      bus,
      config,
      clock,
      (response, flow) => {
        this.layer
          .sendStatelessResponse(response, flow)
          .catch((error: unknown) => this.logger.warn(`EDGE_SEND_FAILED flow=${flow.id}: ${String(error)}`));
      },
    );
    this.registry = registry;
    this.transports = new TransportSet(transportsOf(config));
    this.layer = new TransactionLayer({
      transports: this.transports,
      onRequest: (incoming) => void pipeline.onRequest(incoming),
      onInvalidMessage: (error, flow) => pipeline.onInvalidMessage(error, flow),
      onError: (error, flow) => pipeline.onError(error, flow),
      // A closed connection ends its registration (RFC 5626 §5.2: the flow is gone).
      onFlowClosed: (flow) => {
        this.registry.unbind(flow.id);
      },
      clock,
      timers: config.timers,
    });
    const pushSender = new PushSender(
      {
        findFlow: (flowId) => this.transports.findFlow(flowId),
        sendRequest: (r, f) => this.layer.sendRequest(r, f),
      },
      publisher,
      config.edgeId,
      config.domain,
    );
    this.consumer = new OutboundConsumer(bus, config.edgeId, pushSender, pending);
  }

  /** True between a successful start and stop: the readiness probe. */
  get listening(): boolean {
    return Object.keys(this.bound).length > 0;
  }

  /** Listening addresses by transport (ephemeral ports resolved). */
  get addresses(): BoundAddresses {
    return this.bound;
  }

  async start(): Promise<void> {
    const addresses = await this.layer.start();
    this.bound = Object.fromEntries(
      this.transports.transports.map((transport, i) => [transport.protocol, addresses[i]]),
    );
    await this.consumer.start();
    this.registry.startSweeping();
    this.logger.info(`SIP edge listening: ${JSON.stringify(this.bound)}`);
  }

  async stop(): Promise<void> {
    this.registry.stopSweeping();
    this.bound = {};
    await this.consumer.stop();
    await this.layer.stop();
  }
}
