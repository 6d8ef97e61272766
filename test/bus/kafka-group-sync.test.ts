// A replica joining its group while the group's leader is slow to send the assignment: its
// SyncGroup waits on the broker for longer than a publish may take. Chaos seed 2026120707 met
// this 7 s after a Kafka restart (the broker answered SyncGroup after 3.4 s); each replica gave the
// request up, rejoined under a new member id, and the restarted one never joined.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { PartitionAssigners, logLevel, type Consumer, type PartitionAssigner } from 'kafkajs';
import { createKafkaClient, KafkaEventBus } from '#herald/bus';
import { requireKafkaBrokers } from '../support/env';

const brokers = requireKafkaBrokers();
const PUBLISH_TIMEOUT_MS = 1_000;
/** Longer than the publish timeout, well within the session timeout (KAFKA_SESSION_TIMEOUT_MS). */
const ASSIGNMENT_DELAY_MS = 2_500;
const JOIN_TIMEOUT_MS = 20_000;

/** kafkajs' round-robin assigner, the bus consumers' own protocol, taking its time as leader. */
const slowRoundRobin: PartitionAssigner = (config) => {
  const assigner = PartitionAssigners.roundRobin(config);
  return {
    ...assigner,
    assign: async (group) => {
      await delay(ASSIGNMENT_DELAY_MS);
      return assigner.assign(group);
    },
  };
};

describe('KafkaEventBus joining a group whose leader is slow to assign', () => {
  jest.setTimeout(60_000);
  const topic = `herald-group-sync-${randomUUID()}`;
  const groupId = `herald-group-sync-${randomUUID()}`;
  let leader: Consumer | undefined;
  let bus: KafkaEventBus | undefined;

  afterEach(async () => {
    await bus?.close();
    await leader?.disconnect();
  });

  it('waits for the assignment past the publish timeout and joins', async () => {
    bus = new KafkaEventBus({
      brokers,
      clientId: 'herald-group-sync-test',
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
      joinTimeoutMs: JOIN_TIMEOUT_MS,
      logLevel: 'nothing',
    });
    await bus.ensureTopics([topic]);
    // The first member is the group's leader; it answers every later rebalance slowly.
    leader = createKafkaClient({
      clientId: 'herald-group-sync-leader',
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
    }).consumer({
      groupId,
      partitionAssigners: [slowRoundRobin],
      heartbeatInterval: 500,
    });
    const leaderJoined = new Promise<void>((resolve) =>
      leader?.on(leader.events.GROUP_JOIN, () => resolve()),
    );
    await leader.connect();
    await leader.subscribe({ topics: [topic], fromBeginning: true });
    await leader.run({ eachMessage: async () => undefined });
    await leaderJoined;

    const joining = bus.subscribe({ groupId, topics: [topic], handler: async () => undefined });
    await expect(joining).resolves.toEqual({ stop: expect.any(Function), intake: expect.anything() });
    await (await joining).stop();
  });
});
