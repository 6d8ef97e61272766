import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type {
  BusRecord,
  ConsumedRecord,
  EventBus,
  PublishOptions,
  Subscription,
  SubscriptionHandle,
} from '#herald/bus';
import {
  edgeOutboundRecord,
  registerDecidedV1,
  registerRequestedV1,
  SIP_REGISTER_REQUESTED_V1,
} from '#herald/contracts';
import { SipEdge } from '../apps/sip-edge/src/sip-edge';
import { DEFAULT_EXPIRES_SECONDS } from '../apps/sip-edge/src/edge-config';
import { BENCH_DOMAIN } from './lib/herald-launch';

/**
 * A bus that stands in for Kafka and auth, so a process holds nothing but the edge: every publish
 * is acknowledged at once and dropped, except a REGISTER, which is decided 200 for its contacts
 * (the digest is not verified: the edge's own checks of form, nonce and nonce-count still run).
 */
class BenchRegistrarBus implements EventBus {
  private readonly subscriptions: Subscription[] = [];
  private offset = 0;

  async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    for (const record of records) {
      if (record.topic !== SIP_REGISTER_REQUESTED_V1) continue;
      const request = registerRequestedV1.decode(record.value);
      const decided = registerDecidedV1.build({
        txKey: request.txKey,
        aor: request.aor,
        status: 200,
        contacts: request.contacts.map((contact) => ({ uri: contact.uri, expires: contact.expires })),
      });
      const outbound = edgeOutboundRecord(request.edgeId, decided);
      const consumed: ConsumedRecord = {
        ...outbound,
        headers: {},
        partition: 0,
        offset: String(this.offset++),
      };
      // After the publish resolved, as a broker round trip would be.
      setImmediate(() => {
        for (const subscription of this.subscriptions) {
          if (!subscription.topics.includes(outbound.topic)) continue;
          subscription.handler(consumed).catch((error: unknown) => {
            console.error('capacity-edge: outbound handler failed', error);
          });
        }
      });
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

/**
 * The SIP edge alone (apps/sip-edge, UDP only) with a bus that decides every REGISTER 200, for
 * bench/capacity.ts `--mode edge`: the RSS and heap of this process are the edge's own. Writes
 * `{udp, databaseUrl, pids}` like bench/serve-herald.ts and runs until SIGTERM/SIGINT.
 *   node dist/bench/capacity-edge.js --state FILE
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { state: { type: 'string' } } });
  const edge = new SipEdge({
    bus: new BenchRegistrarBus(),
    config: {
      domain: BENCH_DOMAIN,
      edgeId: `bench-edge-${randomBytes(4).toString('hex')}`,
      bindHost: '127.0.0.1',
      ports: { udp: 0 },
      nonceSecret: randomBytes(24).toString('base64url'),
      minExpires: 60,
      defaultExpires: DEFAULT_EXPIRES_SECONDS,
      maxBodyBytes: 8192,
      timers: {},
      decisionTimeoutsMs: { register: 10_000, publish: 10_000, subscribe: 10_000 },
      rateLimit: { burst: UNLIMITED_RATE, perSecond: UNLIMITED_RATE },
      retryAfterSeconds: 5,
    },
  });
  await edge.start();
  const udp = edge.addresses.udp;
  if (udp === undefined) throw new Error('capacity-edge: no UDP address');
  const stop = () => {
    edge.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('capacity-edge: stop failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const state = JSON.stringify({ udp, databaseUrl: '', pids: { 'sip-edge': process.pid } });
  if (values.state !== undefined) writeFileSync(values.state, state);
  console.log(`capacity-edge: ready ${state}`);
}

main().catch((error: unknown) => {
  console.error('capacity-edge: failed', error);
  process.exit(1);
});
