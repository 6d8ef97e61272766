// The end-to-end scenarios against sip-edge, auth, presence and im-router as separate processes
// on the test Kafka and PostgreSQL, plus what only Kafka shows: the push outcome events, and which
// topics each service consumes.
import { type ConsumedRecord, createKafkaClient, KafkaEventBus } from '#herald/bus';
import {
  AUTH_DEVICE_REGISTERED_V1,
  AUTH_DEVICE_UNREGISTERED_V1,
  AUTH_SESSION_ENDED_V1,
  AUTH_SESSION_STARTED_V1,
  commandReceivedV1,
  pushOutcomeV1,
  SIP_COMMAND_RECEIVED_AUTH_V1,
  SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
  SIP_COMMAND_RECEIVED_PRESENCE_V1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_PUBLISH_REQUESTED_V1,
  SIP_PUSH_OUTCOME_AUTH_V1,
  SIP_PUSH_OUTCOME_IM_ROUTER_V1,
  SIP_PUSH_OUTCOME_PRESENCE_V1,
  SIP_REGISTER_REQUESTED_V1,
  SIP_SUBSCRIBE_REQUESTED_V1,
} from '#herald/contracts';
import { AssignerProtocol, type Kafka, logLevel } from 'kafkajs';
import { IM_DELIVERY_PUSH_ID_PREFIX } from '#herald/domain';
import { HeraldCluster } from '../support/herald-cluster';
import { uniqueGroupId } from '../support/topics';
import { waitFor } from '../support/wait-for';
import { commandId, commandResult } from './e2e-support';
import { describeHeraldScenarios } from './scenarios';

/** A consumer group join on a busy machine, then the records. */
const KAFKA_WAIT_MS = 60_000;
/** How often the test asks Kafka again for a group's committed offsets. */
const OFFSET_POLL_MS = 100;

interface PushOutcome {
  pushId: string;
  aor: string;
  outcome: string;
  origin: string;
}

let cluster: HeraldCluster | undefined;
const devices = describeHeraldScenarios(async () => {
  // Kafka only: this file reads the push outcomes on their Kafka topics (the link is tested in test/scale-out/edge-link.test.ts).
  cluster = await HeraldCluster.start({ edgeLink: 'kafka-only' });
  return cluster;
});

describe("push outcomes on the origin's topic, only of pushes the origin acts on", () => {
  it("reports an IM delivery's timed-out and answered outcomes to im-router, and no outcome of a result push", async () => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    const bus = new KafkaEventBus({ brokers: cluster.kafkaBrokers, clientId: 'herald-e2e-outcomes' });
    const outcomes: PushOutcome[] = [];
    const subscription = await bus.subscribe({
      groupId: uniqueGroupId('push-outcomes'),
      topics: [SIP_PUSH_OUTCOME_IM_ROUTER_V1],
      // From the start: the AORs are new, so only this test's outcomes match, and none is missed while joining.
      fromBeginning: true,
      handler: async (record) => {
        outcomes.push(JSON.parse(record.value.toString('utf8')) as PushOutcome);
      },
    });
    try {
      const sender = await devices.loggedIn(await devices.account('sender'), 'tcp', 'INFO');
      const silent = await devices.loggedIn(await devices.account('silent'), 'udp', 'INFO');
      silent.pushAnswer = 'never';
      const answering = await devices.loggedIn(await devices.account('answering'), 'tcp', 'INFO');
      for (const recipient of [silent, answering]) {
        const sent = await commandResult(
          sender,
          { id: commandId(), type: 'im.send', to: recipient.aor, text: 'hi' },
          'INFO',
        );
        expect(sent.envelope).toMatchObject({ ok: true });
      }
      const outcomeOf = (aor: string) => outcomes.find((event) => event.aor === aor);
      const timeoutMs = 64 * cluster.t1Ms + 30_000;
      const silentOutcome = await silent.waitUntil(
        () => outcomeOf(silent.aor),
        timeoutMs,
        'the silent outcome',
      );
      expect(silentOutcome).toMatchObject({ origin: 'im-router', outcome: 'timed-out' });
      expect(silentOutcome.pushId.startsWith(IM_DELIVERY_PUSH_ID_PREFIX)).toBe(true);
      const answeredOutcome = await answering.waitUntil(
        () => outcomeOf(answering.aor),
        timeoutMs,
        'the answered outcome',
      );
      expect(answeredOutcome).toMatchObject({ origin: 'im-router', outcome: 'answered' });

      // The logins' results (auth), the roster and presence pushes of login (presence), the
      // im.send results and im.status pushes to the sender (im-router) asked for no outcome: their
      // 200s came long before the silent device's Timer F, and none is on any outcome topic.
      const kafka = createKafkaClient({
        brokers: cluster.kafkaBrokers,
        clientId: 'herald-e2e-outcomes',
        logLevel: logLevel.NOTHING,
      });
      const published = await recordsUpToNow(kafka, bus, [
        SIP_PUSH_OUTCOME_AUTH_V1,
        SIP_PUSH_OUTCOME_PRESENCE_V1,
        SIP_PUSH_OUTCOME_IM_ROUTER_V1,
      ]);
      const ours = new Set([sender.aor, silent.aor, answering.aor]);
      expect(
        published
          .map((record) => pushOutcomeV1.decode(record.value))
          .filter((outcome) => ours.has(outcome.aor))
          .map(({ aor, origin, outcome }) => [aor, origin, outcome])
          .sort(),
      ).toEqual(
        [
          [silent.aor, 'im-router', 'timed-out'],
          [answering.aor, 'im-router', 'answered'],
        ].sort(),
      );
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});

/** Every record of `topics` up to their end now, read by a group of its own. */
async function recordsUpToNow(kafka: Kafka, bus: KafkaEventBus, topics: string[]): Promise<ConsumedRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  // Without transactions the offsets of a partition are contiguous: high - low records.
  const counts = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        counts.set(`${topic}/${partition}`, Number(high) - Number(low));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records = new Map<string, ConsumedRecord>();
  const seen = new Map<string, number>();
  const subscription = await bus.subscribe({
    groupId: uniqueGroupId('owned-topics'),
    topics,
    fromBeginning: true,
    handler: async (record) => {
      const partition = `${record.topic}/${record.partition}`;
      const id = `${partition}@${record.offset}`;
      if (records.has(id)) return;
      records.set(id, record);
      seen.set(partition, (seen.get(partition) ?? 0) + 1);
    },
  });
  try {
    await waitFor(
      () => [...counts].every(([partition, count]) => (seen.get(partition) ?? 0) >= count),
      KAFKA_WAIT_MS,
      `every record of ${topics.join(', ')} up to the end`,
    );
  } finally {
    await subscription.stop();
  }
  return [...records.values()];
}

describe('each service consumes only its own commands and push outcomes', () => {
  it("puts each command on its owner's topic alone, and no service group reads another's", async () => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    const alice = await devices.registered(await devices.account('owner-alice'), 'udp');
    const bob = await devices.loggedIn(await devices.account('owner-bob'), 'tcp', 'INFO');
    const ids = { login: commandId(), roster: commandId(), im: commandId() };
    await commandResult(alice, { id: ids.login, type: 'login' }, 'INFO');
    await commandResult(alice, { id: ids.roster, type: 'roster.get' }, 'INFO');
    const sent = await commandResult(alice, { id: ids.im, type: 'im.send', to: bob.aor, text: 'hi' }, 'INFO');
    expect(sent.envelope).toMatchObject({ ok: true });

    const kafka = createKafkaClient({
      brokers: cluster.kafkaBrokers,
      clientId: 'herald-e2e-owned',
      logLevel: logLevel.NOTHING,
    });
    const bus = new KafkaEventBus({ brokers: cluster.kafkaBrokers, clientId: 'herald-e2e-owned' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Every 200 OK above came after Kafka acknowledged the command: all of them are in these topics.
      const commandTopics = [
        SIP_COMMAND_RECEIVED_AUTH_V1,
        SIP_COMMAND_RECEIVED_PRESENCE_V1,
        SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
        SIP_COMMAND_RECEIVED_V1,
      ];
      const records = await recordsUpToNow(kafka, bus, commandTopics);
      const topicsOf = (id: string) =>
        records
          .filter((record) => commandReceivedV1.decode(record.value).envelope.id === id)
          .map((record) => record.topic);
      expect(topicsOf(ids.login)).toEqual([SIP_COMMAND_RECEIVED_AUTH_V1]);
      expect(topicsOf(ids.roster)).toEqual([SIP_COMMAND_RECEIVED_PRESENCE_V1]);
      expect(topicsOf(ids.im)).toEqual([SIP_COMMAND_RECEIVED_IM_ROUTER_V1]);

      // What each service's group subscribes to: never the legacy topics, which only a rolling
      // upgrade needs read (HERALD_CONSUME_LEGACY_TOPICS, off by default; im-router.test.ts reads them).
      const expected: Record<string, string[]> = {
        'herald-auth': [SIP_REGISTER_REQUESTED_V1, SIP_COMMAND_RECEIVED_AUTH_V1],
        'herald-presence': [
          SIP_COMMAND_RECEIVED_PRESENCE_V1,
          SIP_PUSH_OUTCOME_PRESENCE_V1,
          SIP_PUBLISH_REQUESTED_V1,
          SIP_SUBSCRIBE_REQUESTED_V1,
          AUTH_SESSION_STARTED_V1,
          AUTH_SESSION_ENDED_V1,
          AUTH_DEVICE_REGISTERED_V1,
          AUTH_DEVICE_UNREGISTERED_V1,
        ],
        'herald-im-router': [
          SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
          SIP_PUSH_OUTCOME_IM_ROUTER_V1,
          AUTH_SESSION_STARTED_V1,
          AUTH_DEVICE_REGISTERED_V1,
        ],
      };
      const { groups } = await admin.describeGroups(Object.keys(expected));
      for (const group of groups) {
        expect(group.members.length).toBeGreaterThan(0);
        for (const member of group.members) {
          const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
          expect([group.groupId, [...(metadata?.topics ?? [])].sort()]).toEqual([
            group.groupId,
            [...expected[group.groupId]].sort(),
          ]);
        }
      }

      // im-router committed past the im.send; auth and presence never consumed its topic at all.
      const imRecord = records.find(
        (record) =>
          record.topic === SIP_COMMAND_RECEIVED_IM_ROUTER_V1 &&
          commandReceivedV1.decode(record.value).envelope.id === ids.im,
      );
      if (imRecord === undefined) throw new Error('the im.send record was not found');
      const committed = async (groupId: string): Promise<Map<number, bigint>> => {
        const [topic] = await admin.fetchOffsets({ groupId, topics: [SIP_COMMAND_RECEIVED_IM_ROUTER_V1] });
        return new Map(topic.partitions.map(({ partition, offset }) => [partition, BigInt(offset)]));
      };
      const deadline = Date.now() + KAFKA_WAIT_MS;
      while (
        ((await committed('herald-im-router')).get(imRecord.partition) ?? -1n) <= BigInt(imRecord.offset)
      ) {
        if (Date.now() > deadline) throw new Error('im-router did not commit past the im.send');
        await new Promise((resolve) => setTimeout(resolve, OFFSET_POLL_MS));
      }
      for (const groupId of ['herald-auth', 'herald-presence']) {
        const offsets = [...(await committed(groupId)).values()];
        expect(offsets.length).toBeGreaterThan(0);
        expect([groupId, offsets]).toEqual([groupId, offsets.map(() => -1n)]);
      }
    } finally {
      await admin.disconnect();
      await bus.close();
    }
  });
});
