import { EdgeLinkBus, type EdgeLinkEndpoint, EdgeLinkServer, EventBus } from '#herald/bus';
import { DEFAULT_SHUTDOWN_GRACE_MS, type SipEdgeSettings } from '#herald/config';
import { heraldMetrics, observeGauge } from '#herald/observability';
import {
  Clock,
  Flow,
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
import { settlesWithin } from './drain/in-flight';
import { createEdgeCore } from './edge-core';
import { FlowRegistry } from './flows/flow-registry';
import { InboundPipeline } from './inbound/inbound-pipeline';
import { OutboundConsumer } from './outbound/outbound-consumer';
import { PushSender } from './outbound/push-sender';
import { edgeLogger } from './edge-logger';
import type { EdgeThrottle } from './throttle/edge-throttle';
import { watchUdpSockets } from './udp-socket-watch';

export interface SipEdgeDeps {
  bus: EventBus;
  config: SipEdgeConfig;
  /** Injected by unit tests; the system clock otherwise. */
  clock?: Clock;
  /** How long `stop` waits for live transactions (drainBudgetMs of the shutdown grace by default). */
  drainTimeoutMs?: number;
  /** Where the edge link listens (architecture.md, "Topics"); absent = no link, Kafka only (embedded). */
  link?: EdgeLinkListen;
}

/** The edge link's server: its address (port 0 = ephemeral) and the token a service's hello must carry. */
export interface EdgeLinkListen {
  host: string;
  port: number;
  token?: string;
}

/** The link server of the edge's settings: none when HERALD_EDGE_LINK_PORT=off. */
export function edgeLinkListenOf(
  settings: Pick<SipEdgeSettings, 'edgeLinkPort' | 'edgeLinkHost' | 'edgeLinkToken'>,
): EdgeLinkListen | undefined {
  const { edgeLinkPort: port, edgeLinkHost: host, edgeLinkToken: token } = settings;
  if (port === 'off') return undefined;
  return token === undefined ? { host, port } : { host, port, token };
}

/**
 * Share of the shutdown grace (HERALD_SHUTDOWN_GRACE_MS) the edge spends finishing live
 * transactions; the rest is for leaving the consumer group, flushing Kafka and telemetry.
 */
const DRAIN_SHARE_OF_GRACE = 0.7;

/** The drain budget within a shutdown grace period. */
export function drainBudgetMs(shutdownGraceMs: number): number {
  return Math.floor(shutdownGraceMs * DRAIN_SHARE_OF_GRACE);
}

/** A bound listening address per transport, once started. */
export type BoundAddresses = Partial<Record<TransportProtocol, TransportAddress>>;

function transportsOf(config: SipEdgeConfig): Transport[] {
  const { bindHost: host, ports, tls } = config;
  const transports: Transport[] = [];
  if (ports.udp !== undefined)
    transports.push(
      new UdpTransport({ host, port: ports.udp, receiveBufferBytes: config.udpReceiveBufferBytes }),
    );
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
  /** Per-source limits and bans (absent when off), for the admin endpoints. */
  readonly throttle: EdgeThrottle | undefined;
  private readonly logger = edgeLogger('SipEdge');
  private readonly transports: TransportSet;
  private readonly layer: TransactionLayer;
  private readonly consumer: OutboundConsumer;
  private readonly pipeline: InboundPipeline;
  private readonly pushSender: PushSender;
  /** Takes the services' records for this edge directly; Kafka stays the fallback. */
  private readonly linkServer: EdgeLinkServer | undefined;
  private linkEndpoint: EdgeLinkEndpoint | undefined;
  private readonly clock: Clock;
  private readonly drainTimeoutMs: number;
  private bound: BoundAddresses = {};
  private stopObservingGauges: (() => void) | undefined;
  private stopWatchingUdp: (() => void) | undefined;
  private stopping = false;

  readonly config: SipEdgeConfig;

  constructor(deps: SipEdgeDeps) {
    const { bus, config } = deps;
    this.config = config;
    const clock = deps.clock ?? new SystemClock();
    this.clock = clock;
    this.drainTimeoutMs = deps.drainTimeoutMs ?? drainBudgetMs(DEFAULT_SHUTDOWN_GRACE_MS);
    const link = deps.link;
    this.linkServer =
      link === undefined
        ? undefined
        : new EdgeLinkServer({ ...link, onRecords: (records) => this.consumer.handleInOrder(records) });
    // Outcomes go back over a link connection of their origin service when one takes them, and
    // commands and requests to the service replica that owns their partition (EdgeLinkBus).
    const publishing = this.linkServer === undefined ? bus : new EdgeLinkBus(bus, this.linkServer);
    const { registry, bindWaits, pending, publisher, pipeline, throttle } = createEdgeCore(
      publishing,
      config,
      clock,
      (response, flow) => {
        this.layer.sendStatelessResponse(response, flow).catch((error: unknown) =>
          this.logger.warn('EDGE_SEND_FAILED', 'sending on the flow failed', {
            flow: flow.id,
            error: String(error),
          }),
        );
      },
    );
    this.registry = registry;
    this.pipeline = pipeline;
    this.throttle = throttle;
    this.transports = new TransportSet(transportsOf(config));
    this.layer = new TransactionLayer({
      transports: this.transports,
      ...(throttle === undefined ? {} : { admit: (flow: Flow) => throttle.admits(flow) }),
      onRequest: (incoming) => void pipeline.onRequest(incoming),
      onInvalidMessage: (error, flow) => pipeline.onInvalidMessage(error, flow),
      onError: (error, flow) => pipeline.onError(error, flow),
      // A closed connection ends its registration (RFC 5626 §5.2: the flow is gone).
      onFlowClosed: (flow) => {
        this.registry.unbind(flow.id);
      },
      onRetransmit: () => heraldMetrics().sipRetransmission(),
      clock,
      timers: config.timers,
    });
    this.pushSender = new PushSender(
      {
        findFlow: (flowId) => this.transports.findFlow(flowId),
        deviceOn: (flowId) => this.registry.lookup(flowId),
        waitForBinding: (flowId) => bindWaits.wait(flowId),
        sendRequest: (r, f) => this.layer.sendRequest(r, f),
      },
      publisher,
      config.edgeId,
      config.domain,
      config.aorHashKey,
    );
    this.consumer = new OutboundConsumer(bus, config.edgeId, this.pushSender, pending);
  }

  /** True between a successful start and stop: the readiness probe. */
  get listening(): boolean {
    return Object.keys(this.bound).length > 0;
  }

  /** True from the moment `stop` begins (SIGTERM): readiness fails so no new traffic is routed here. */
  get draining(): boolean {
    return this.stopping;
  }

  /** Where the edge link listens once started (ephemeral port resolved); undefined without a link. */
  get linkAddress(): EdgeLinkEndpoint | undefined {
    return this.linkEndpoint;
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
    // Before the edge says it listens: services may send over the link from the first record.
    this.linkEndpoint = await this.linkServer?.start();
    if (this.linkEndpoint !== undefined) {
      this.logger.info('EDGE_LINK_LISTENING', `edge link listening: ${JSON.stringify(this.linkEndpoint)}`);
    }
    this.registry.startSweeping();
    const throttle = this.throttle;
    const gauges = [
      observeGauge('registeredDevices', () => this.registry.size),
      // The readiness probe's answer, for the "edge not ready" alert (0 while draining).
      observeGauge('edgeReady', () => (this.listening && !this.draining ? 1 : 0)),
      ...(throttle === undefined ? [] : [observeGauge('sipBansActive', () => throttle.guard.bansActive)]),
    ];
    this.stopObservingGauges = () => gauges.forEach((remove) => remove());
    this.stopWatchingUdp = watchUdpSockets(
      this.transports.transports.filter((transport) => transport instanceof UdpTransport),
      this.logger,
    );
    this.logger.info('EDGE_LISTENING', `SIP edge listening: ${JSON.stringify(this.bound)}`);
  }

  /**
   * Drains, then closes (SIGTERM): new requests get 503 with Retry-After while the ones taken
   * finish (REGISTERs waiting for their decision, commands waiting for their service's ack over
   * the link or Kafka's); then the
   * outbound consumer and the link server stop after their records in progress (the services
   * publish to Kafka what the link no longer takes), and pushes already sent get their final
   * response or Timer F, all within the drain budget; last the transports close.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const startedAt = this.clock.now();
    const left = (): number => this.drainTimeoutMs - (this.clock.now() - startedAt);
    // The consumer keeps running meanwhile: it carries the decisions pending REGISTERs wait for.
    if (!(await settlesWithin(this.pipeline.drain(), left(), this.clock))) {
      this.logger.warn('EDGE_DRAIN_INCOMPLETE', 'requests left unanswered', {
        requests: this.pipeline.inProgress,
      });
    }
    // The link stops taking frames with the consumer: neither delivers what the edge would not handle.
    await Promise.all([this.consumer.stop(), this.linkServer?.stop()]);
    this.linkEndpoint = undefined;
    if (!(await settlesWithin(this.pushSender.settled(), left(), this.clock))) {
      // Services re-deliver pushes without an `answered` outcome (architecture.md): none is lost.
      this.logger.warn('EDGE_DRAIN_INCOMPLETE', 'pushes left without outcome', {
        pushes: this.pushSender.inProgress,
      });
    }
    this.registry.stopSweeping();
    this.stopObservingGauges?.();
    this.stopWatchingUdp?.();
    this.bound = {};
    await this.layer.stop();
  }
}
