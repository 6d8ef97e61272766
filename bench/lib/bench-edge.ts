import { randomBytes } from 'node:crypto';
import type {
  BusRecord,
  ConsumedRecord,
  EventBus,
  PublishOptions,
  Subscription,
  SubscriptionHandle,
} from '#herald/bus';
import {
  commandReceivedV1,
  ENVELOPE_CONTENT_TYPE,
  edgeOutboundRecord,
  type EncodedRecord,
  imPush,
  imStatusPush,
  okResult,
  type PushBody,
  pushRequestedV1,
  registerDecidedV1,
  registerRequestedV1,
  serializePush,
  SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
  SIP_PUSH_OUTCOME_IM_ROUTER_V1,
  SIP_REGISTER_REQUESTED_V1,
  type CommandReceivedV1,
} from '#herald/contracts';
import { SipEdge, DEFAULT_EXPIRES_SECONDS } from '#herald/sip-edge';
import { BENCH_DIGEST_ALGORITHMS, BENCH_DOMAIN } from './herald-launch';
import { CountWaiter } from './count-waiter';

/**
 * A bus that stands in for Kafka and the services, so a process holds nothing but the edge: every
 * publish is acknowledged at once and dropped, except a REGISTER, which is decided 200 for its
 * contacts (the digest is not verified: the edge's own checks of form, nonce and nonce-count still
 * run), and an `im.send`, which is answered as im-router answers a live IM to a recipient on the
 * sender's own flow: its result, the `im` and the `im.status` push, all three to the sending flow,
 * only the `im` one asking for an outcome (as the push gateway asks).
 */
export class BenchServicesBus implements EventBus {
  private readonly subscriptions: Subscription[] = [];
  private offset = 0;
  private pushes = 0;
  /** sip.push-outcome.im-router.v1 records published so far (one per im.send: its `im` push's, once settled). */
  private readonly pushOutcomes = new CountWaiter();

  async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    for (const record of records) {
      if (record.topic === SIP_PUSH_OUTCOME_IM_ROUTER_V1) this.pushOutcomes.increment();
      if (record.topic === SIP_REGISTER_REQUESTED_V1) this.deliver([this.registerDecided(record.value)]);
      if (record.topic === SIP_COMMAND_RECEIVED_IM_ROUTER_V1) {
        const command = commandReceivedV1.decode(record.value);
        if (command.envelope.type === 'im.send') this.deliver(this.imPushes(command));
      }
    }
  }

  /** Resolves once `count` push outcomes were published in all (no polling: counted instructions stay the edge's). */
  whenPushOutcomes(count: number): Promise<void> {
    return this.pushOutcomes.whenReached(count);
  }

  private registerDecided(value: Buffer): EncodedRecord {
    const request = registerRequestedV1.decode(value);
    const decided = registerDecidedV1.build({
      txKey: request.txKey,
      aor: request.aor,
      status: 200,
      contacts: request.contacts.map((contact) => ({ uri: contact.uri, expires: contact.expires })),
    });
    return edgeOutboundRecord(request.edgeId, decided);
  }

  private imPushes(command: CommandReceivedV1): EncodedRecord[] {
    const messageId = `m-${command.envelope.id}`;
    const bodies: PushBody[] = [
      okResult('im.send', command.envelope.id, { messageId }),
      imPush({ messageId, from: command.aor, text: 'bench', sentAt: command.receivedAt, offline: false }),
      imStatusPush({ messageId, state: 'delivered' }),
    ];
    return bodies.map((body) => {
      const pushId = `bench-${this.pushes++}`;
      const push = pushRequestedV1.build({
        // As the push gateway marks them: the `im` push of a live IM with its sentAt, the others as
        // wanting no outcome.
        ...(body.type === 'im' ? { liveImSentAt: command.receivedAt } : { outcomeWanted: false }),
        pushId,
        origin: 'im-router',
        aor: command.aor,
        deviceId: command.deviceId,
        flowId: command.flowId,
        contact: command.contact,
        method: 'INFO',
        contentType: ENVELOPE_CONTENT_TYPE,
        body: serializePush(body, pushId),
      });
      return edgeOutboundRecord(command.edgeId, push);
    });
  }

  /**
   * Hands records to the edge's outbound handler one after the other (as one partition's consumer
   * would), after the publish resolved (as a broker round trip would).
   */
  private deliver(records: readonly EncodedRecord[]): void {
    setImmediate(() => {
      this.handleInOrder(records).catch((error: unknown) => {
        console.error('bench services bus: outbound handler failed', error);
      });
    });
  }

  private async handleInOrder(records: readonly EncodedRecord[]): Promise<void> {
    for (const record of records) {
      const consumed: ConsumedRecord = {
        ...record,
        headers: {},
        partition: 0,
        offset: String(this.offset++),
      };
      for (const subscription of this.subscriptions) {
        if (subscription.topics.includes(record.topic)) await subscription.handler(consumed);
      }
    }
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    this.subscriptions.push(subscription);
    return {
      stop: async () => {
        this.subscriptions.splice(this.subscriptions.indexOf(subscription), 1);
      },
    };
  }

  async ensureTopics(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Per-flow limits out of the way of a load generator (as bench/lib/herald-launch sets them). */
const UNLIMITED_RATE = 1_000_000;

/** The SIP edge alone on 127.0.0.1 (UDP only, any port) over `bus`, not started yet. */
export function benchEdge(bus: EventBus): SipEdge {
  return new SipEdge({
    bus,
    config: {
      domain: BENCH_DOMAIN,
      edgeId: `bench-edge-${randomBytes(4).toString('hex')}`,
      bindHost: '127.0.0.1',
      ports: { udp: 0 },
      nonceSecret: randomBytes(24).toString('base64url'),
      digestAlgorithms: BENCH_DIGEST_ALGORITHMS,
      minExpires: 60,
      defaultExpires: DEFAULT_EXPIRES_SECONDS,
      maxBodyBytes: 8192,
      timers: {},
      decisionTimeoutsMs: { register: 10_000, publish: 10_000, subscribe: 10_000 },
      rateLimit: { burst: UNLIMITED_RATE, perSecond: UNLIMITED_RATE },
      retryAfterSeconds: 5,
    },
  });
}
