import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { componentLogger, heraldMetrics, observeGauge } from '#herald/observability';
import type { BusRecord, ConsumedRecord } from '../event-bus';
import { partitionOfKey } from '../kafka-partitioner';
import type { EdgeLinkEndpoint } from './edge-link-directory';
import { type AssignmentFrame, EDGE_LINK_PROTOCOL_VERSION, type HelloFrame } from './link-frame';
import { LinkConnection, type LinkSendResult } from './link-connection';
import { EDGE_LINK_ACK_TIMEOUT_MS, EDGE_LINK_HELLO_TIMEOUT_MS } from './link-timing';
import { LinkWarnings } from './link-logging';

export interface EdgeLinkServerOptions {
  host: string;
  /** 0 = an ephemeral port (start() returns the bound one). */
  port: number;
  /** When set, a hello must carry it (compared timing-safe). */
  token?: string;
  /**
   * Handles one frame's records in order; resolves with how many were handled (all, or fewer when
   * one threw: the frame is acknowledged up to there and the rest is refused).
   */
  onRecords: (records: readonly ConsumedRecord[]) => Promise<number>;
  /** Default EDGE_LINK_ACK_TIMEOUT_MS (tests shorten it). */
  ackTimeoutMs?: number;
}

/** What EdgeLinkBus needs of the server (EdgeLinkServer; a fake in unit tests). */
export interface OutcomeLink {
  takesOutcomes(origin: string): boolean;
  /** Connections of `origin` that take outcomes: one outcome frame in flight on each. */
  outcomeConnections(origin: string): number;
  sendToOrigin(origin: string, records: ReadonlyArray<BusRecord>): Promise<number>;
}

/**
 * What EdgeLinkBus needs to send a record to the replica that consumes its partition
 * (EdgeLinkServer; a fake in unit tests). An owner is a connection's handle, valid while it is open.
 */
export interface OwnerLink {
  /**
   * Where a record of `topic` with `key` may go: its partition, and the connection whose replica
   * said it owns that partition (undefined when none does now). Undefined for a topic no
   * connection ever owned partitions of: not a topic the link carries.
   */
  routeOf(topic: string, key: string): PartitionRoute | undefined;
  sendToOwner(owner: PartitionOwner, records: ReadonlyArray<BusRecord>): Promise<number>;
}

/** A connection's ownership of one topic's partitions. */
interface OwnedTopic {
  partitionCount: number;
  partitions: ReadonlySet<number>;
}

/** A service replica's connection, once its hello was accepted. */
interface ServiceConnection {
  origin: string;
  connection: LinkConnection;
  /** The topics' partitions its consumer owns, from its latest assignment frame. */
  owned: ReadonlyMap<string, OwnedTopic>;
}

/** An opaque handle of a connection owning partitions (EdgeLinkBus groups its records by it). */
export type PartitionOwner = object;

export interface PartitionRoute {
  partition: number;
  owner: PartitionOwner | undefined;
}

/**
 * The edge's side of the edge link: accepts connections from service replicas (a hello first:
 * version and, when configured, the shared token), hands their records frames to `onRecords` one
 * after the other per connection and acks each with the handled count, sends outcome frames to the
 * replicas of an origin that said in their hello that they take outcomes, and keeps each
 * connection's latest assignment (the partitions its replica's consumer owns, dropped when it
 * closes) to send a command or request to the connection owning its key's partition (routeOf,
 * sendToOwner).
 */
export class EdgeLinkServer implements OutcomeLink, OwnerLink {
  private readonly logger = componentLogger('EdgeLink');
  private readonly warnings = new LinkWarnings(this.logger);
  private readonly tokenDigest: Buffer | undefined;
  private readonly ackTimeoutMs: number;
  private readonly connections = new Set<LinkConnection>();
  /** Per origin, its connections that take outcomes, in the order they said hello. */
  private readonly outcomeTakers = new Map<string, ServiceConnection[]>();
  private readonly nextTaker = new Map<string, number>();
  /** Per topic, the connections that own partitions of it. */
  private readonly topicOwners = new Map<string, ServiceConnection[]>();
  /**
   * Per topic ever owned, its latest partition count: while no connection owns it (a group
   * rebalancing, its one replica restarting) a record still has a partition, which the bus holds.
   */
  private readonly partitionCounts = new Map<string, number>();
  private readonly inFlight = new Set<Promise<number>>();
  private server: Server | undefined;
  private stopGauge: (() => void) | undefined;

  constructor(private readonly options: EdgeLinkServerOptions) {
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.ackTimeoutMs = options.ackTimeoutMs ?? EDGE_LINK_ACK_TIMEOUT_MS;
  }

  /** Listens; port 0 = an ephemeral port. Resolves with the bound endpoint. */
  async start(): Promise<EdgeLinkEndpoint> {
    const server = createServer((socket) => this.accepted(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) =>
      this.logger.error({ code: 'EDGE_LINK_SERVER_ERROR', err: error }, 'edge link server error'),
    );
    this.server = server;
    this.stopGauge = observeGauge('edgeLinkConnections', () => this.connections.size);
    const address = server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /**
   * Stops accepting, lets the frames being handled finish and be acked (frames not started are not
   * handled: their senders fall back to Kafka), then closes every connection. Outcome frames still
   * unacknowledged resolve 0 (their publisher falls back).
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.stopGauge?.();
    const closed = server && new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.connections].map((connection) => connection.finish('EDGE_LINK_STOPPED')));
    await Promise.all(this.inFlight);
    await closed;
  }

  /** Whether some connection of `origin` takes outcomes now. */
  takesOutcomes(origin: string): boolean {
    return this.outcomeConnections(origin) > 0;
  }

  outcomeConnections(origin: string): number {
    return this.outcomeTakers.get(origin)?.length ?? 0;
  }

  /**
   * Sends records in one frame over a connection of `origin` (round robin among its replicas);
   * resolves with how many it handled: 0 when none is connected, the frame does not fit, the
   * connection fails or no ack comes in time. Counts and logs the fallbacks.
   */
  sendToOrigin(origin: string, records: ReadonlyArray<BusRecord>): Promise<number> {
    const taker = this.leastBusyTaker(origin);
    return this.counted(
      origin,
      records,
      taker?.connection.send(records) ??
        Promise.resolve({ handled: 0, reason: 'EDGE_LINK_NO_SERVICE_CONNECTION' }),
    );
  }

  routeOf(topic: string, key: string): PartitionRoute | undefined {
    const owners = this.topicOwners.get(topic);
    if (owners === undefined) {
      const count = this.partitionCounts.get(topic);
      return count === undefined ? undefined : { partition: partitionOfKey(key, count), owner: undefined };
    }
    let partition = -1;
    let countOfPartition = 0;
    for (const owner of owners) {
      const owned = owner.owned.get(topic)!;
      // Replicas of one consumer group see one partition count: the key is hashed once.
      if (owned.partitionCount !== countOfPartition) {
        countOfPartition = owned.partitionCount;
        partition = partitionOfKey(key, countOfPartition);
      }
      if (owned.partitions.has(partition)) return { partition, owner };
    }
    return { partition, owner: undefined };
  }

  /**
   * Sends records in one frame to the replica owning their partitions; resolves with how many it
   * handled (its ack), 0 when the connection closed or no ack came in time. Counts the fallbacks.
   */
  sendToOwner(owner: PartitionOwner, records: ReadonlyArray<BusRecord>): Promise<number> {
    const { connection, origin } = owner as ServiceConnection;
    return this.counted(origin, records, connection.send(records));
  }

  /** A frame's send to a service, counted (linked, fallback) and logged when it fell short; stop() waits for it. */
  private async counted(
    origin: string,
    records: ReadonlyArray<BusRecord>,
    send: Promise<LinkSendResult>,
  ): Promise<number> {
    const sending = send.then((result) => {
      heraldMetrics().edgeLinkRecords('to-service', 'linked', result.handled);
      if (result.reason !== undefined) {
        heraldMetrics().edgeLinkRecords('to-service', 'fallback', records.length - result.handled);
        this.warnings.fallback(result.reason, { origin, records: records.length, handled: result.handled });
      }
      return result.handled;
    });
    this.inFlight.add(sending);
    try {
      return await sending;
    } finally {
      this.inFlight.delete(sending);
    }
  }

  /** The origin's connection with the fewest outcome frames unacknowledged, taking turns among equals. */
  private leastBusyTaker(origin: string): ServiceConnection | undefined {
    const takers = this.outcomeTakers.get(origin);
    if (takers === undefined) return undefined;
    const turn = this.nextTaker.get(origin) ?? 0;
    this.nextTaker.set(origin, turn + 1);
    let best: ServiceConnection | undefined;
    for (let offset = 0; offset < takers.length; offset += 1) {
      const taker = takers[(turn + offset) % takers.length]!;
      if (
        best === undefined ||
        taker.connection.unacknowledgedFrames < best.connection.unacknowledgedFrames
      ) {
        best = taker;
      }
    }
    return best;
  }

  private accepted(socket: Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let accepted: ServiceConnection | undefined;
    const connection = new LinkConnection(socket, {
      ackTimeoutMs: this.ackTimeoutMs,
      onRecords: (records) => this.options.onRecords(records),
      onHello: (hello) => {
        clearTimeout(helloTimer);
        const refusal = this.refusalOf(hello);
        if (refusal === undefined) {
          accepted = { origin: hello.origin, connection, owned: new Map() };
          if (hello.takesOutcomes) this.addTaker(accepted);
        }
        return refusal;
      },
      onAssignment: (frame) => {
        if (accepted !== undefined) this.assign(accepted, frame);
      },
      onClose: (code, error) => {
        clearTimeout(helloTimer);
        this.connections.delete(connection);
        if (accepted !== undefined) {
          this.removeTaker(accepted);
          this.assign(accepted, { kind: 'assignment', topics: [] });
        }
        this.warnings.closed(code, error, { peer, origin: accepted?.origin });
      },
    });
    const helloTimer = setTimeout(
      () => connection.close('EDGE_LINK_HELLO_TIMEOUT'),
      EDGE_LINK_HELLO_TIMEOUT_MS,
    );
    this.connections.add(connection);
  }

  private refusalOf(hello: HelloFrame): string | undefined {
    if (hello.version !== EDGE_LINK_PROTOCOL_VERSION) return 'EDGE_LINK_VERSION_MISMATCH';
    if (this.tokenDigest !== undefined && !timingSafeEqual(digest(hello.token), this.tokenDigest)) {
      return 'EDGE_LINK_TOKEN_REFUSED';
    }
    if (hello.origin === '') return 'EDGE_LINK_NO_ORIGIN';
    return undefined;
  }

  /** Replaces what `owner` owns; a topic it owns no partition of is dropped. */
  private assign(owner: ServiceConnection, frame: AssignmentFrame): void {
    for (const topic of owner.owned.keys()) {
      const others = (this.topicOwners.get(topic) ?? []).filter((other) => other !== owner);
      if (others.length > 0) this.topicOwners.set(topic, others);
      else this.topicOwners.delete(topic);
    }
    const owned = new Map<string, OwnedTopic>();
    for (const { topic, partitionCount, partitions } of frame.topics) {
      if (partitions.length === 0) continue;
      owned.set(topic, { partitionCount, partitions: new Set(partitions) });
      this.partitionCounts.set(topic, partitionCount);
      this.topicOwners.set(topic, [...(this.topicOwners.get(topic) ?? []), owner]);
    }
    owner.owned = owned;
  }

  private addTaker(taker: ServiceConnection): void {
    const takers = this.outcomeTakers.get(taker.origin) ?? [];
    takers.push(taker);
    this.outcomeTakers.set(taker.origin, takers);
  }

  private removeTaker(taker: ServiceConnection): void {
    const takers = (this.outcomeTakers.get(taker.origin) ?? []).filter((other) => other !== taker);
    if (takers.length > 0) {
      this.outcomeTakers.set(taker.origin, takers);
    } else {
      this.outcomeTakers.delete(taker.origin);
      this.nextTaker.delete(taker.origin);
    }
  }
}

/** Fixed-length digests, so the comparison takes the same time whatever the token's length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
