// The edge link (docs/architecture.md, Topics) between separate processes on the test Kafka and
// PostgreSQL, devices on real UDP: with the link on, an IM between two edges crosses no Kafka topic
// of the edges; an edge whose link is unreachable still works through Kafka; an outcome whose
// im-router died reaches its restarted replica through Kafka and the IM is settled once.
import { createKafkaClient } from '#herald/bus';
import { edgeOutboundTopic, SIP_PUSH_OUTCOME_IM_ROUTER_V1 } from '#herald/contracts';
import type { Admin } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { commandId, commandResult, Devices, pushOf } from '../e2e/e2e-support';
import { freeTcpPort } from '../support/free-port';
import { HeraldCluster } from '../support/herald-cluster';
import { HeraldScaledCluster } from '../support/herald-scaled-cluster';
import { newNonceSecret } from '../support/herald-target';
import type { SipClient } from '../support/sip-client';

/** Cold starts of four (eight) Node processes and their consumer group joins on a busy machine. */
const START_TIMEOUT_MS = 300_000;
const TEST_TIMEOUT_MS = 180_000;
/**
 * The restarted im-router's group waits out its predecessor's session (10 s), then consumes the
 * outcome, on a busy machine.
 */
const SETTLE_WAIT_MS = 90_000;

/** The summed end offsets of `topics`: what was ever produced to them. */
async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Record<string, number>> {
  const entries = await Promise.all(
    topics.map(async (topic) => {
      const partitions = await admin.fetchTopicOffsets(topic);
      return [topic, partitions.reduce((sum, partition) => sum + Number(partition.high), 0)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** What each topic received between two readings. */
function produced(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([topic, end]) => [topic, end - (before[topic] ?? 0)]));
}

async function kafkaAdmin(brokers: string[]): Promise<Admin> {
  const admin = createKafkaClient({
    brokers,
    clientId: 'herald-edge-link-test',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  return admin;
}

/** Sends an IM; resolves with its messageId once the recipient got it and the sender was told `delivered`. */
async function imDelivered(sender: SipClient, recipient: SipClient, text: string): Promise<string> {
  const from = sender.pushes.length;
  const sent = await commandResult(
    sender,
    { id: commandId(), type: 'im.send', to: recipient.aor, text },
    'INFO',
  );
  expect(sent.envelope).toMatchObject({ ok: true });
  const messageId = sent.envelope?.['messageId'];
  if (typeof messageId !== 'string') throw new Error(`no messageId in ${JSON.stringify(sent.envelope)}`);
  const im = await pushOf(recipient, 'im', { messageId });
  expect(im.envelope).toMatchObject({ from: sender.aor, text });
  await pushOf(sender, 'im.status', { messageId, state: 'delivered' }, from);
  return messageId;
}

describe('edge link on: two edges, two replicas of each service', () => {
  let cluster: HeraldScaledCluster | undefined;
  let admin: Admin | undefined;
  const onEdge = [0, 1].map(
    (side) =>
      new Devices(() => {
        if (cluster === undefined) throw new Error('the cluster did not start');
        return cluster.side(side === 0 ? 0 : 1);
      }),
  );

  beforeAll(async () => {
    cluster = await HeraldScaledCluster.start();
    admin = await kafkaAdmin(cluster.side(0).kafkaBrokers);
  }, START_TIMEOUT_MS);
  afterEach(() => Promise.all(onEdge.map((devices) => devices.closeAll())));
  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  }, START_TIMEOUT_MS);

  it(
    "an IM between the edges is delivered and told delivered with no record on the edges' topics or the outcomes'",
    async () => {
      const running = cluster!;
      const [alice, bob] = await Promise.all([
        onEdge[0]!.account('alice').then((user) => onEdge[0]!.loggedIn(user, 'udp', 'INFO')),
        onEdge[1]!.account('bob').then((user) => onEdge[1]!.loggedIn(user, 'udp', 'INFO')),
      ]);
      const topics = [
        edgeOutboundTopic(running.side(0).edgeId),
        edgeOutboundTopic(running.side(1).edgeId),
        SIP_PUSH_OUTCOME_IM_ROUTER_V1,
      ];
      const before = await endOffsets(admin!, topics);
      await imDelivered(alice, bob, 'over the link');
      await imDelivered(bob, alice, 'and back');
      // A third one after both were settled: an outcome of the first two still on its way to Kafka would be there by now.
      await imDelivered(alice, bob, 'once more');
      expect(produced(before, await endOffsets(admin!, topics))).toEqual(
        Object.fromEntries(topics.map((topic) => [topic, 0])),
      );
    },
    TEST_TIMEOUT_MS,
  );
});

describe('an edge whose link cannot be reached (HERALD_EDGE_LINK_PORT=off, the services given an address)', () => {
  let cluster: HeraldCluster | undefined;
  let admin: Admin | undefined;
  const devices = new Devices(() => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  });

  beforeAll(async () => {
    const edgeId = `e2e-unlinked-${commandId()}`;
    // Nobody listens there: every connection the services try is refused.
    const nobody = await freeTcpPort();
    cluster = await HeraldCluster.start({
      edgeId,
      edgeLink: { edgePort: 'off', addresses: `${edgeId}=127.0.0.1:${nobody}`, token: newNonceSecret() },
    });
    admin = await kafkaAdmin(cluster.kafkaBrokers);
  }, START_TIMEOUT_MS);
  afterEach(() => devices.closeAll());
  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  }, START_TIMEOUT_MS);

  it(
    'registers, delivers an IM and tells it delivered, all through Kafka',
    async () => {
      const running = cluster!;
      const topics = [edgeOutboundTopic(running.edgeId), SIP_PUSH_OUTCOME_IM_ROUTER_V1];
      const before = await endOffsets(admin!, topics);
      const [alice, bob] = await Promise.all(
        ['alice', 'bob'].map((label) =>
          devices.account(label).then((user) => devices.loggedIn(user, 'udp', 'INFO')),
        ),
      );
      await imDelivered(alice!, bob!, 'through Kafka');
      const through = produced(before, await endOffsets(admin!, topics));
      // Two REGISTER decisions, two login results, the IM's result, the IM and its delivered status.
      expect(through[edgeOutboundTopic(running.edgeId)]).toBeGreaterThanOrEqual(7);
      expect(through[SIP_PUSH_OUTCOME_IM_ROUTER_V1]).toBeGreaterThanOrEqual(1);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('im-router killed while the outcome of its push is on its way', () => {
  let cluster: HeraldCluster | undefined;
  let admin: Admin | undefined;
  const devices = new Devices(() => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  });

  beforeAll(async () => {
    cluster = await HeraldCluster.start();
    admin = await kafkaAdmin(cluster.kafkaBrokers);
  }, START_TIMEOUT_MS);
  afterEach(() => devices.closeAll());
  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  }, START_TIMEOUT_MS);

  it(
    'the outcome goes to Kafka, the restarted im-router settles the IM, and the sender is told delivered once',
    async () => {
      const running = cluster!;
      const [alice, bob] = await Promise.all(
        ['alice', 'bob'].map((label) =>
          devices.account(label).then((user) => devices.loggedIn(user, 'udp', 'INFO')),
        ),
      );
      const sender = alice!;
      const recipient = bob!;
      // The first IM proves the link is up (delivered and told over it).
      await imDelivered(sender, recipient, 'warm');
      const outcomesBefore = await endOffsets(admin!, [SIP_PUSH_OUTCOME_IM_ROUTER_V1]);
      // bob holds his answer: the push stays in flight (UDP, retransmitted) while im-router dies.
      recipient.pushAnswer = 'never';
      const from = sender.pushes.length;
      const sent = await commandResult(
        sender,
        { id: commandId(), type: 'im.send', to: recipient.aor, text: 'in flight' },
        'INFO',
      );
      const messageId = sent.envelope?.['messageId'];
      expect(typeof messageId).toBe('string');
      await pushOf(recipient, 'im', { messageId });
      await running.kill('im-router');
      // The next retransmission is answered: the edge has no link connection of im-router left.
      recipient.pushAnswer = 'ok';
      await running.startApp('im-router');
      await sender.waitForPush(
        (push) =>
          push.envelope?.type === 'im.status' &&
          push.envelope['messageId'] === messageId &&
          push.envelope['state'] === 'delivered',
        SETTLE_WAIT_MS,
        from,
      );
      const outcomes = produced(outcomesBefore, await endOffsets(admin!, [SIP_PUSH_OUTCOME_IM_ROUTER_V1]));
      // The answered outcome went to Kafka: no im-router was connected when the edge had it.
      expect(outcomes[SIP_PUSH_OUTCOME_IM_ROUTER_V1]).toBeGreaterThanOrEqual(1);
      // An IM after it, told delivered: a second `delivered` of the first would have come before.
      await imDelivered(sender, recipient, 'after');
      const told = sender.pushes
        .slice(from)
        .filter((push) => push.envelope?.type === 'im.status' && push.envelope['messageId'] === messageId);
      expect(told.map((push) => push.envelope?.['state'])).toEqual(['delivered']);
      const arrivals = recipient.pushes.filter(
        (push) => push.envelope?.type === 'im' && push.envelope['messageId'] === messageId,
      );
      // Re-sent pushes of one IM carry its one messageId (the app shows it once); it is never re-sent as new.
      expect(new Set(arrivals.map((push) => push.envelope?.['messageId']))).toEqual(new Set([messageId]));
    },
    SETTLE_WAIT_MS + TEST_TIMEOUT_MS,
  );
});
