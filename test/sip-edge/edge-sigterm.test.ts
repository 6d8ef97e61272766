// SIGTERM to a real sip-edge process (dist/) under a steady UDP INFO load on a real Kafka: every
// command answered 200 OK is in Kafka, commands after the signal get 503 (or no answer), a push in
// flight at the signal still gets its outcome, and the process exits within HERALD_SHUTDOWN_GRACE_MS.
import { randomBytes } from 'node:crypto';
import { ConsumedRecord, KafkaEventBus } from '#herald/bus';
import {
  commandReceivedV1,
  edgeOutboundRecord,
  FIXED_TOPICS,
  pushOutcomeV1,
  pushRequestedV1,
  SIP_COMMAND_RECEIVED_AUTH_V1,
  SIP_PUSH_OUTCOME_IM_ROUTER_V1,
} from '#herald/contracts';
import { createResponse, SipRequest, SipResponse, TransportAddress } from '#herald/sip';
import { requireKafkaBrokers } from '../support/env';
import { APP_MAINS, ensureBuilt } from '../support/herald-build';
import { HeraldProcess } from '../support/herald-process';
import { uniqueGroupId } from '../support/topics';
import { waitFor } from '../support/wait-for';
import { D, Device, FakeAuth } from './edge-fixture';
import { UdpPeer } from './sip-peer';

/** Below HeraldProcess's SIGKILL (15 s), so a hung drain shows as a late exit, not a kill. */
const SHUTDOWN_GRACE_MS = 8_000;
/** The steady load: one INFO every 10 ms (100/s) from one registered device. */
const INFO_INTERVAL_MS = 10;
/** Load before the signal. */
const LOAD_BEFORE_SIGTERM_MS = 1_500;
/** How long after the signal the device answers the push in flight (the edge must still be there). */
const PUSH_ANSWER_DELAY_MS = 1_000;
/** A cold Node + Nest + kafkajs start with a group join on a busy machine. */
const EDGE_READY_TIMEOUT_MS = 90_000;
const KAFKA_WAIT_MS = 30_000;
const EDGE_LISTENING = 'SIP edge listening: ';

/** The edge's UDP listener from its `SIP edge listening: {...}` log line (pino JSON). */
function udpAddressIn(line: string): TransportAddress | undefined {
  if (!line.startsWith('{') || !line.includes(EDGE_LISTENING)) return undefined;
  const { msg } = JSON.parse(line) as { msg: string };
  const listeners = JSON.parse(msg.slice(msg.indexOf(EDGE_LISTENING) + EDGE_LISTENING.length)) as {
    udp?: TransportAddress;
  };
  return listeners.udp;
}

interface SentCommand {
  id: string;
  seq: number;
  afterSigterm: boolean;
}

describe('sip-edge SIGTERM under load (real process, real Kafka)', () => {
  const brokers = requireKafkaBrokers();
  const edgeId = `drain-${randomBytes(4).toString('hex')}`;
  const records: ConsumedRecord[] = [];
  let bus: KafkaEventBus;
  let auth: FakeAuth;
  let edge: HeraldProcess;
  let peer: UdpPeer;

  beforeAll(async () => {
    ensureBuilt();
    bus = new KafkaEventBus({ brokers, clientId: `sigterm-test-${edgeId}`, logLevel: 'error' });
    await bus.ensureTopics(FIXED_TOPICS);
    await bus.subscribe({
      groupId: uniqueGroupId('edge-sigterm-observer'),
      topics: [SIP_COMMAND_RECEIVED_AUTH_V1, SIP_PUSH_OUTCOME_IM_ROUTER_V1],
      fromBeginning: false,
      handler: async (record) => void records.push(record),
    });
    auth = new FakeAuth(bus, edgeId);
    await auth.start();
    edge = new HeraldProcess('sip-edge', APP_MAINS['sip-edge'], {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_CLIENT_ID: `herald-${edgeId}`,
      HERALD_EDGE_ID: edgeId,
      HERALD_DOMAIN: D,
      HERALD_NONCE_SECRET: randomBytes(16).toString('hex'),
      HERALD_HTTP_PORT: '0',
      HERALD_SIP_BIND: '127.0.0.1',
      HERALD_SIP_UDP_PORT: '0',
      HERALD_SIP_TCP_PORT: '0',
      HERALD_SIP_WS_PORT: '0',
      // The link server runs (and stops in the drain) as deployed; no service connects to it here.
      HERALD_EDGE_LINK_PORT: '0',
      HERALD_EDGE_LINK_HOST: '127.0.0.1',
      HERALD_SIP_RATE_BURST: '1000',
      HERALD_SIP_RATE_PER_SECOND: '1000',
      HERALD_SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
      OTEL_SDK_DISABLED: 'true',
    });
    const udp = await edge.waitForLine(udpAddressIn, EDGE_READY_TIMEOUT_MS, 'its UDP listener');
    peer = await UdpPeer.open(udp.port);
  }, 180_000);

  afterAll(async () => {
    await peer?.close();
    await edge?.kill();
    await auth?.stop();
    await bus?.close();
  });

  it('answers 200 only for what Kafka stored, 503 after the signal, finishes the push in flight, exits in time', async () => {
    const alice = new Device(peer, 'alice');
    expect((await alice.register()).status).toBe(200);
    const registered = auth.requests[auth.requests.length - 1];
    const flowId = registered.flowId;
    // The device the edge bound to the flow (architecture.md: the +sip.instance, else the Contact
    // URI): a push for another device on this flow would be refused (EDGE_PUSH_FLOW_REUSED).
    const contact = registered.contacts[0];
    const deviceId = contact?.instanceId ?? contact?.uri ?? '';

    // A push in flight at the signal: the device holds its answer until the edge is draining.
    const pushId = `drain-push-${randomBytes(4).toString('hex')}`;
    const push = pushRequestedV1.build({
      pushId,
      origin: 'im-router',
      aor: alice.aor,
      deviceId,
      flowId,
      contact: peer.contact('alice'),
      method: 'MESSAGE',
      contentType: 'application/vnd.herald+json',
      body: '{"type":"roster","buddies":[]}',
    });
    const receivedBefore = peer.received.length;
    await bus.publish([edgeOutboundRecord(edgeId, push)]);
    const { message: pushed } = await peer.next(
      (m) => m.kind === 'request' && m.method === 'MESSAGE',
      receivedBefore,
      KAFKA_WAIT_MS,
    );

    const sent: SentCommand[] = [];
    let sigtermAt: number | undefined;
    const sendOne = async (): Promise<void> => {
      const id = `drain-${edgeId}-${sent.length}`;
      const request = alice.infoRequest(JSON.stringify({ v: 1, id, type: 'login' }));
      sent.push({ id, seq: request.cseq?.seq ?? -1, afterSigterm: sigtermAt !== undefined });
      await peer.send(request);
    };
    const sendErrors: unknown[] = [];
    const load = setInterval(() => {
      sendOne().catch((error: unknown) => sendErrors.push(error));
    }, INFO_INTERVAL_MS);
    let exitCode: number | null;
    let exitedAfterMs: number;
    try {
      await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGTERM_MS));
      sigtermAt = Date.now();
      const stopping = edge.stop();
      setTimeout(() => void peer.send(createResponse(pushed as SipRequest, 200)), PUSH_ANSWER_DELAY_MS);
      exitCode = await stopping;
      exitedAfterMs = Date.now() - sigtermAt;
    } finally {
      clearInterval(load);
    }

    expect(sendErrors).toEqual([]);
    expect(exitCode).toBe(0);
    expect(exitedAfterMs).toBeLessThan(SHUTDOWN_GRACE_MS);
    expect(edge.log).not.toContain('EDGE_DRAIN_INCOMPLETE');

    const responses = new Map<number, SipResponse>();
    for (const { message } of peer.received) {
      if (message.kind === 'response' && message.cseq?.method === 'INFO' && message.status >= 200) {
        responses.set(message.cseq.seq, message);
      }
    }
    const answered = (status: number) =>
      sent.filter((command) => responses.get(command.seq)?.status === status);
    const ok = answered(200);
    const refused = answered(503);
    // Nothing but 200 (stored) or 503 (refused); a request the closed socket never saw has no answer.
    expect(
      sent.filter((command) => ![undefined, 200, 503].includes(responses.get(command.seq)?.status)),
    ).toEqual([]);
    expect(ok.filter((command) => !command.afterSigterm).length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((command) => command.afterSigterm)).toBe(true);
    for (const command of refused) {
      expect(responses.get(command.seq)?.retryAfter?.seconds).toBeGreaterThan(0);
    }

    const storedIds = (): Set<string> =>
      new Set(
        records
          .filter((record) => record.topic === SIP_COMMAND_RECEIVED_AUTH_V1)
          .map((record) => commandReceivedV1.decode(record.value))
          .filter((event) => event.edgeId === edgeId)
          .map((event) => event.envelope.id),
      );
    await waitFor(
      () => ok.every((command) => storedIds().has(command.id)),
      KAFKA_WAIT_MS,
      "every command answered 200 OK on auth's command topic",
    );
    const stored = storedIds();
    expect(refused.filter((command) => stored.has(command.id))).toEqual([]);

    const outcome = (record: ConsumedRecord) =>
      record.topic === SIP_PUSH_OUTCOME_IM_ROUTER_V1 && pushOutcomeV1.decode(record.value).pushId === pushId;
    await waitFor(() => records.some(outcome), KAFKA_WAIT_MS, 'the outcome of the push in flight');
    expect(pushOutcomeV1.decode(records.find(outcome)?.value ?? Buffer.from('{}'))).toMatchObject({
      outcome: 'answered',
      status: 200,
    });
    console.info(
      `edge SIGTERM drain: exited after ${exitedAfterMs} ms; ${sent.length} INFO sent, ` +
        `${ok.length} answered 200 (all in Kafka), ${refused.length} answered 503, ` +
        `${sent.length - ok.length - refused.length} unanswered`,
    );
  }, 120_000);
});
