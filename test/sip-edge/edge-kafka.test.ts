import { randomBytes } from 'node:crypto';
import { ConsumedRecord, EventBus, KafkaEventBus } from '#herald/bus';
import {
  commandReceivedV1,
  edgeOutboundRecord,
  FIXED_TOPICS,
  pushOutcomeV1,
  pushRequestedV1,
  SIP_COMMAND_RECEIVED_AUTH_V1,
  SIP_PUSH_OUTCOME_PRESENCE_V1,
} from '#herald/contracts';
import { createResponse, SipRequest } from '#herald/sip';
import { SipEdge } from '#herald/sip-edge';
import { requireKafkaBrokers } from '../support/env';
import { uniqueGroupId } from '../support/topics';
import { waitFor } from '../support/wait-for';
import { Device, edgePort, FakeAuth, startEdge } from './edge-fixture';
import { SipPeer, TcpPeer, UdpPeer } from './sip-peer';

/** A port nothing listens on (TCP port 1 on loopback): a broker that is down. */
const DEAD_BROKER = '127.0.0.1:1';
const DEAD_PUBLISH_TIMEOUT_MS = 1_500;
/** Kafka consumers need a group join before records flow. */
const KAFKA_WAIT_MS = 30_000;

describe('sip-edge on real Kafka', () => {
  const brokers = requireKafkaBrokers();
  let bus: KafkaEventBus;
  let edge: SipEdge;
  let auth: FakeAuth;
  const records: ConsumedRecord[] = [];
  const peers: SipPeer[] = [];

  beforeAll(async () => {
    bus = new KafkaEventBus({
      brokers,
      clientId: `edge-test-${randomBytes(4).toString('hex')}`,
      logLevel: 'error',
    });
    await bus.ensureTopics(FIXED_TOPICS);
    await bus.subscribe({
      groupId: uniqueGroupId('edge-kafka-observer'),
      topics: [SIP_COMMAND_RECEIVED_AUTH_V1, SIP_PUSH_OUTCOME_PRESENCE_V1],
      handler: async (record) => void records.push(record),
    });
    ({ edge, auth } = await startEdge(bus));
  });

  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await edge?.stop();
    await auth?.stop();
    await bus?.close();
  });

  it('registers, accepts a command only after Kafka acknowledged it, and delivers a push', async () => {
    const udp = await UdpPeer.open(edgePort(edge, 'udp'));
    const tcp = await TcpPeer.open(edgePort(edge, 'tcp'));
    peers.push(udp, tcp);
    const alice = new Device(udp, 'alice');
    const bob = new Device(tcp, 'bob');
    expect((await alice.register()).status).toBe(200);
    expect((await bob.register()).status).toBe(200);

    const info = await alice.send(alice.infoRequest('{"v":1,"id":"k-1","type":"login"}'));
    expect(info.status).toBe(200);
    const ours = (r: ConsumedRecord) =>
      r.topic === SIP_COMMAND_RECEIVED_AUTH_V1 &&
      commandReceivedV1.decode(r.value).edgeId === edge.config.edgeId;
    await waitFor(() => records.some(ours), KAFKA_WAIT_MS, "the login on auth's command topic");
    expect(commandReceivedV1.decode(records.find(ours)?.value ?? Buffer.from('{}'))).toMatchObject({
      aor: alice.aor,
      envelope: { id: 'k-1', type: 'login' },
    });

    const binding = edge.registry.bindingsOf(bob.aor)[0];
    const pushId = `kp-${randomBytes(4).toString('hex')}`;
    const push = pushRequestedV1.build({
      pushId,
      origin: 'presence',
      aor: bob.aor,
      deviceId: binding.deviceId,
      flowId: binding.flowId,
      contact: binding.contact,
      method: 'MESSAGE',
      contentType: 'application/vnd.herald+json',
      body: '{"type":"roster","buddies":[]}',
    });
    const from = tcp.received.length;
    await bus.publish([edgeOutboundRecord(edge.config.edgeId, push)]);
    const { message } = await tcp.next(
      (m) => m.kind === 'request' && m.method === 'MESSAGE',
      from,
      KAFKA_WAIT_MS,
    );
    await tcp.send(createResponse(message as SipRequest, 200));
    const outcome = (r: ConsumedRecord) =>
      r.topic === SIP_PUSH_OUTCOME_PRESENCE_V1 && pushOutcomeV1.decode(r.value).pushId === pushId;
    await waitFor(() => records.some(outcome), KAFKA_WAIT_MS, "the push outcome on presence's outcome topic");
    expect(pushOutcomeV1.decode(records.find(outcome)?.value ?? Buffer.from('{}'))).toMatchObject({
      outcome: 'answered',
      status: 200,
      edgeId: edge.config.edgeId,
    });
  });

  it('answers 503 with Retry-After when Kafka cannot acknowledge', async () => {
    // Consumes from the live broker, produces to one that is down: Kafka unavailable for writes.
    const dead = new KafkaEventBus({
      brokers: [DEAD_BROKER],
      clientId: 'edge-test-dead',
      publishTimeoutMs: DEAD_PUBLISH_TIMEOUT_MS,
      logLevel: 'nothing',
    });
    const halfDown: EventBus = {
      publish: (records) => dead.publish(records),
      subscribe: (subscription) => bus.subscribe(subscription),
      ensureTopics: (topics) => bus.ensureTopics(topics),
      close: () => dead.close(),
    };
    const down = await startEdge(halfDown);
    try {
      const udp = await UdpPeer.open(edgePort(down.edge, 'udp'));
      peers.push(udp);
      const alice = new Device(udp, 'alice');
      const challenge = await alice.send(alice.registerRequest());
      const response = await alice.send(
        alice.registerRequest({ authorization: alice.authorization(challenge) }),
      );
      expect(response.status).toBe(503);
      expect(response.retryAfter?.seconds).toBe(5);
    } finally {
      await down.edge.stop();
      await down.auth.stop();
      await dead.close();
    }
  });
});
