import { connect, type Socket } from 'node:net';
import { componentLogger, heraldMetrics, observeGauge } from '#herald/observability';
import type { BusRecord, ConsumedRecord, PartitionIntake } from '../event-bus';
import type { EdgeLinkDirectory, EdgeLinkEndpoint } from './edge-link-directory';
import {
  EDGE_LINK_PROTOCOL_VERSION,
  encodeAssignment,
  encodeHello,
  type TopicAssignment,
} from './link-frame';
import { LinkConnection, type LinkSendResult } from './link-connection';
import { LinkWarnings } from './link-logging';
import { originOfOutcome } from './link-topics';
import {
  EDGE_LINK_ACK_TIMEOUT_MS,
  EDGE_LINK_CONNECT_TIMEOUT_MS,
  EDGE_LINK_FALLBACK_HOLD_MS,
} from './link-timing';

export interface EdgeLinkClientOptions {
  /** The service's origin name: the edges send it the outcomes of `sip.push-outcome.<origin>.v1`. */
  origin: string;
  directory: EdgeLinkDirectory;
  token?: string;
  /** Defaults: the EDGE_LINK_ timers (tests shorten them). */
  ackTimeoutMs?: number;
  connectTimeoutMs?: number;
  fallbackHoldMs?: number;
  now?: () => number;
  /** Opens the TCP connection to an edge (default node:net's connect; a test gives one that never connects). */
  openSocket?: (endpoint: EdgeLinkEndpoint) => Socket;
}

/** Handles the records of one outcome frame; resolves with how many were handled from the first. */
export type OutcomeFrameHandler = (records: readonly ConsumedRecord[]) => Promise<number>;

/** What ServiceLinkBus needs of the client (EdgeLinkClient; a fake in unit tests). */
export interface EdgeRecordLink {
  readonly origin: string;
  linkable(edgeId: string): boolean;
  send(edgeId: string, records: ReadonlyArray<BusRecord>): Promise<number>;
  handleOutcomes(handler: OutcomeFrameHandler | undefined): void;
  /** Offers the edges the partitions `intake` owns (outcome topics left out); returns the withdrawal. */
  offerPartitions(intake: PartitionIntake): () => void;
  close(): Promise<void>;
}

/** What the client knows of one edge. */
interface EdgeState {
  endpoint: EdgeLinkEndpoint | undefined;
  current: LinkConnection | undefined;
  /** The connection being opened, shared by the sends that wait for it. */
  connecting: Promise<LinkConnection | LinkSendResult> | undefined;
  /** Until then (now() ms), records for this edge go to Kafka without a try: see EDGE_LINK_FALLBACK_HOLD_MS. */
  heldUntil: number;
}

/**
 * The service's side of the edge link: one connection per edge, opened on demand (a hello with
 * the origin, the token, and whether this replica takes outcomes, then the assignment), records
 * frames sent on it and resolved from their acks. Any shortfall (no connection, refusal, failure,
 * no ack in time) starts the fallback hold for that edge. Outcome frames the edges send are handed
 * to the outcome handler (ServiceLinkBus registers its outcome subscription), one after the other,
 * and acked with what it handled; frames of commands and requests are taken at once into the
 * consumers whose partitions they belong to (offerPartitions, takeFrame) and acked as handled.
 */
export class EdgeLinkClient implements EdgeRecordLink {
  private readonly logger = componentLogger('EdgeLink');
  private readonly warnings = new LinkWarnings(this.logger);
  private readonly edges = new Map<string, EdgeState>();
  private readonly open = new Set<LinkConnection>();
  private readonly now: () => number;
  private readonly stopGauge: () => void;
  private outcomeHandler: OutcomeFrameHandler | undefined;
  /** The intakes offered (offerPartitions), and per topic the one owning it now. */
  private readonly intakes = new Set<PartitionIntake>();
  private intakeOfTopic = new Map<string, PartitionIntake>();
  /** The assignment frame every connection was sent last (sent first on a new one). */
  private assignmentFrame: Buffer | undefined;
  private closed = false;

  constructor(private readonly options: EdgeLinkClientOptions) {
    this.now = options.now ?? Date.now;
    this.stopGauge = observeGauge('edgeLinkConnections', () => this.open.size);
  }

  get origin(): string {
    return this.options.origin;
  }

  /** Whether a send to `edgeId` may use the link now: it has an address and no fallback hold runs. */
  linkable(edgeId: string): boolean {
    const edge = this.edgeState(edgeId);
    return !this.closed && edge.endpoint !== undefined && this.now() >= edge.heldUntil;
  }

  /**
   * Sends records in one frame; resolves with how many the edge handled: 0 at once while the edge
   * is held or has no address, else what the ack says (0 when the connection fails or no ack comes
   * within the ack timeout). Counts both parts and logs the fallbacks, rate-limited.
   */
  async send(edgeId: string, records: ReadonlyArray<BusRecord>): Promise<number> {
    if (!this.linkable(edgeId)) {
      heraldMetrics().edgeLinkRecords('to-edge', 'fallback', records.length);
      return 0;
    }
    const edge = this.edgeState(edgeId);
    const connection = edge.current?.isOpen ? edge.current : await this.connectionTo(edge);
    const result = connection instanceof LinkConnection ? await connection.send(records) : connection;
    heraldMetrics().edgeLinkRecords('to-edge', 'linked', result.handled);
    if (result.reason !== undefined) {
      heraldMetrics().edgeLinkRecords('to-edge', 'fallback', records.length - result.handled);
      edge.heldUntil = Math.max(
        edge.heldUntil,
        this.now() + (this.options.fallbackHoldMs ?? EDGE_LINK_FALLBACK_HOLD_MS),
      );
      this.warnings.fallback(result.reason, { edgeId, records: records.length, handled: result.handled });
    }
    return result.handled;
  }

  /**
   * Sets (or with undefined, clears) the handler of outcome frames. Connections say in their hello
   * whether they take outcomes: set it before the first send (ServiceLinkBus.subscribe does).
   */
  handleOutcomes(handler: OutcomeFrameHandler | undefined): void {
    this.outcomeHandler = handler;
  }

  /**
   * The edges send this replica the records of the partitions `intake` owns, which it takes into
   * its consumer's pipelines (takeFrame). Every connection is told the assignment after its hello
   * and again at each change; outcome topics are left out (they come as outcome frames).
   */
  offerPartitions(intake: PartitionIntake): () => void {
    this.intakes.add(intake);
    const stopListening = intake.onOwnedChange(() => this.assignmentChanged());
    this.assignmentChanged();
    return () => {
      stopListening();
      this.intakes.delete(intake);
      this.assignmentChanged();
    };
  }

  /** Lets outcome frames being handled finish and be acked, then closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopGauge();
    await Promise.all([...this.edges.values()].map((edge) => edge.connecting));
    await Promise.all([...this.open].map((connection) => connection.finish('EDGE_LINK_STOPPED')));
  }

  private edgeState(edgeId: string): EdgeState {
    let edge = this.edges.get(edgeId);
    if (edge === undefined) {
      edge = {
        endpoint: this.options.directory.endpointOf(edgeId),
        current: undefined,
        connecting: undefined,
        heldUntil: 0,
      };
      this.edges.set(edgeId, edge);
    }
    return edge;
  }

  /** A new connection to the edge (shared by the sends that wait for it), or why there is none. */
  private connectionTo(edge: EdgeState): Promise<LinkConnection | LinkSendResult> {
    edge.connecting ??= this.connect(edge.endpoint!).then((result) => {
      edge.connecting = undefined;
      if (result instanceof LinkConnection) edge.current = result;
      return result;
    });
    return edge.connecting;
  }

  private connect(endpoint: EdgeLinkEndpoint): Promise<LinkConnection | LinkSendResult> {
    return new Promise((resolve) => {
      const socket = (this.options.openSocket ?? openTcp)(endpoint);
      const failed = (reason: string, error?: unknown): void => {
        clearTimeout(timer);
        socket.destroy();
        this.warnings.closed(reason, error, { endpoint: `${endpoint.host}:${endpoint.port}` });
        resolve({ handled: 0, reason });
      };
      const timer = setTimeout(
        () => failed('EDGE_LINK_CONNECT_TIMEOUT'),
        this.options.connectTimeoutMs ?? EDGE_LINK_CONNECT_TIMEOUT_MS,
      );
      const connectFailed = (error: Error): void => failed('EDGE_LINK_CONNECT_FAILED', error);
      socket.once('error', connectFailed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', connectFailed);
        resolve(this.opened(socket, endpoint));
      });
    });
  }

  private opened(socket: Socket, endpoint: EdgeLinkEndpoint): LinkConnection {
    const connection = new LinkConnection(socket, {
      ackTimeoutMs: this.options.ackTimeoutMs ?? EDGE_LINK_ACK_TIMEOUT_MS,
      takeRecords: (records) => this.takeFrame(records),
      onRecords: (records) => this.outcomeHandler?.(records) ?? Promise.resolve(0),
      onClose: (code, error) => {
        this.open.delete(connection);
        this.warnings.closed(code, error, { endpoint: `${endpoint.host}:${endpoint.port}` });
      },
    });
    connection.write(
      encodeHello({
        version: EDGE_LINK_PROTOCOL_VERSION,
        origin: this.options.origin,
        token: this.options.token ?? '',
        takesOutcomes: this.outcomeHandler !== undefined,
      }),
    );
    if (this.assignmentFrame !== undefined) connection.write(this.assignmentFrame);
    this.open.add(connection);
    return connection;
  }

  /** Rebuilds the assignment from the intakes and tells every open connection. */
  private assignmentChanged(): void {
    const topics: TopicAssignment[] = [];
    const intakeOfTopic = new Map<string, PartitionIntake>();
    for (const intake of this.intakes) {
      for (const owned of intake.owned()) {
        if (originOfOutcome(owned.topic) !== undefined || intakeOfTopic.has(owned.topic)) continue;
        intakeOfTopic.set(owned.topic, intake);
        topics.push(owned);
      }
    }
    this.intakeOfTopic = intakeOfTopic;
    this.assignmentFrame =
      topics.length === 0 && this.assignmentFrame === undefined ? undefined : encodeAssignment(topics);
    if (this.assignmentFrame === undefined) return;
    for (const connection of this.open) connection.write(this.assignmentFrame);
  }

  /**
   * A records frame of partition records (not outcomes): each run of consecutive records of one
   * intake's topics goes to that intake at once, in order; resolves with the handled prefix. A record
   * of a topic no intake owns ends what is taken there. Undefined for an outcome frame.
   */
  private takeFrame(records: ConsumedRecord[]): Promise<number> | undefined {
    const first = records[0];
    if (first === undefined || originOfOutcome(first.topic) !== undefined) return undefined;
    const segments: Array<{ start: number; length: number; taken: Promise<number> }> = [];
    let start = 0;
    while (start < records.length) {
      const intake = this.intakeOfTopic.get(records[start]!.topic);
      if (intake === undefined) break;
      let end = start + 1;
      while (end < records.length && this.intakeOfTopic.get(records[end]!.topic) === intake) end += 1;
      segments.push({ start, length: end - start, taken: intake.take(records.slice(start, end)) });
      start = end;
    }
    const refusedFrom = start;
    return Promise.all(segments.map(({ taken }) => taken)).then((handled) => {
      for (const [index, segment] of segments.entries()) {
        if (handled[index]! < segment.length) return segment.start + handled[index]!;
      }
      return refusedFrom;
    });
  }
}

function openTcp(endpoint: EdgeLinkEndpoint): Socket {
  return connect({ host: endpoint.host, port: endpoint.port });
}
