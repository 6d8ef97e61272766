import { KafkaEventBus, type SubscriptionHandle } from '#herald/bus';
import {
  commandReceivedV1,
  edgeOutboundTopic,
  edgeOutboundV1,
  FIXED_TOPICS,
  routedCommandRecordV1,
} from '#herald/contracts';
import { poolSizeForConsumers } from '#herald/persistence';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import type { DataSource } from 'typeorm';
import {
  IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY,
  createImRouter,
  IM_ROUTER_TOPICS,
  ImRouterRecordHandler,
} from '#herald/im-router-service';
import { insertAccount, insertDevice } from '../auth/auth-rows';
import { createMigratedDataSource } from '../support/database';
import { requireKafkaBrokers } from '../support/env';

const DOMAIN = 'herald.example';
/** As main.ts sizes it with the default DATABASE_POOL_SIZE (10). */
const POOL_SIZE = poolSizeForConsumers(IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY, 10);
const EDGE_ID = `edge-tp-${randomUUID().slice(0, 8)}`;
/** Users sending to each other in a ring: each one's commands share a partition, in order. */
const USERS = 16;
const MESSAGES_PER_USER = 25;
const ALL_RESULTS_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 20;
/** The consumer starts at the latest offset only once it fetched: probe until it answers. */
const WARM_UP_PROBE_INTERVAL_MS = 1_000;

jest.setTimeout(ALL_RESULTS_TIMEOUT_MS + 60_000);

/**
 * im-router's im.send throughput on real Kafka and PostgreSQL, wired as in production (factory,
 * record handler, the Kafka consumer settings of main.ts). Checks that every command got exactly
 * one ok result and every recipient its IMs in the order sent; prints the rate and the load.
 */
describe('im-router throughput (real PostgreSQL and Kafka)', () => {
  let dataSource: DataSource;
  let bus: KafkaEventBus;
  const subscriptions: SubscriptionHandle[] = [];
  const results: Array<Record<string, unknown>> = [];
  const ims = new Map<string, string[]>();

  beforeAll(async () => {
    dataSource = await createMigratedDataSource({ poolSize: POOL_SIZE });
    bus = new KafkaEventBus({
      brokers: requireKafkaBrokers(),
      clientId: 'test-im-throughput',
      partitionsConsumedConcurrently: IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY,
      logLevel: 'error',
    });
    await bus.ensureTopics([...FIXED_TOPICS, edgeOutboundTopic(EDGE_ID)]);
    const records = new ImRouterRecordHandler(
      createImRouter({ bus, dataSource, config: { domain: DOMAIN } }),
      {
        error: (fields, message) => {
          throw new Error(`${fields.reason}: ${message}`);
        },
      },
    );
    subscriptions.push(
      await bus.subscribe({
        groupId: `test-im-throughput-${EDGE_ID}`,
        topics: IM_ROUTER_TOPICS,
        fromBeginning: false,
        handler: (record) => records.handle(record),
        // As subscribeImRouter: each sender's waiting commands come as one run.
        handleRun: (run) => records.handleRun(run),
      }),
      await bus.subscribe({
        groupId: `herald-edge-${EDGE_ID}`,
        topics: [edgeOutboundTopic(EDGE_ID)],
        handler: async (record) => {
          const event = edgeOutboundV1.decode(record.value);
          if (event.type !== 'push.requested') return;
          const body = JSON.parse(event.body) as Record<string, unknown>;
          if (body['type'] === 'im.send.result') results.push(body);
          if (body['type'] === 'im')
            ims.set(event.aor, [...(ims.get(event.aor) ?? []), String(body['text'])]);
        },
      }),
    );
    for (let user = 0; user < USERS; user += 1) await loggedInUser(user);
  });

  afterAll(async () => {
    for (const subscription of subscriptions) await subscription.stop();
    await bus?.close();
    await dataSource?.destroy();
  });

  const aorOf = (user: number) => `sip:tp${user}@${DOMAIN}`;

  async function loggedInUser(user: number): Promise<void> {
    const aor = aorOf(user);
    await insertAccount(dataSource, aor);
    await insertDevice(dataSource, {
      aor,
      deviceId: `d${user}`,
      edgeId: EDGE_ID,
      session: { carrier: 'INFO', status: 'online' },
    });
  }

  /** What the edge publishes for an im.send of `user` to the next user in the ring. */
  function imSend(user: number, id: string, text: string) {
    return routedCommandRecordV1(
      commandReceivedV1.build({
        edgeId: EDGE_ID,
        flowId: `tcp:d${user}`,
        deviceId: `d${user}`,
        contact: `sip:d${user}@127.0.0.1:5070`,
        aor: aorOf(user),
        carrier: 'INFO',
        callId: `call-${user}-${id}`,
        receivedAt: new Date().toISOString(),
        envelope: { v: 1, id, type: 'im.send', to: aorOf((user + 1) % USERS), text },
      }),
    );
  }

  async function waitUntilConsuming(): Promise<void> {
    for (let probe = 0; results.length === 0; probe += 1) {
      await bus.publish([imSend(0, `warm-up-${probe}`, 'warm-up')]);
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_PROBE_INTERVAL_MS));
    }
    results.length = 0;
    ims.clear();
  }

  it('relays every im.send once, in order per recipient, and reports the rate', async () => {
    await waitUntilConsuming();
    const commands = [];
    for (let n = 0; n < MESSAGES_PER_USER; n += 1) {
      for (let user = 0; user < USERS; user += 1) {
        commands.push(imSend(user, `m-${n}`, `${user}:${n}`));
      }
    }
    const started = process.hrtime.bigint();
    await bus.publish(commands);
    const deadline = Date.now() + ALL_RESULTS_TIMEOUT_MS;
    while (results.length < commands.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `im-router throughput: ${commands.length} im.send in ${seconds.toFixed(2)} s = ` +
        `${(commands.length / seconds).toFixed(0)}/s (partitions consumed concurrently ` +
        `${IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY}, pool ${POOL_SIZE}; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})`,
    );

    expect(results).toHaveLength(commands.length);
    expect(results.filter((result) => result['ok'] !== true)).toEqual([]);
    for (let user = 0; user < USERS; user += 1) {
      const sender = (user + USERS - 1) % USERS;
      expect(ims.get(aorOf(user))).toEqual(
        Array.from({ length: MESSAGES_PER_USER }, (_, n) => `${sender}:${n}`),
      );
    }
  });
});
