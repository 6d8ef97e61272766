// The end-to-end scenarios against sip-edge, auth, presence and im-router as separate processes
// on the test Kafka and PostgreSQL, plus what only Kafka shows: the push outcome events.
import { KafkaEventBus } from '#herald/bus';
import { SIP_PUSH_OUTCOME_V1 } from '#herald/contracts';
import { HeraldCluster } from '../support/herald-cluster';
import { uniqueGroupId } from '../support/topics';
import { commandId, expectStatus } from './e2e-support';
import { describeHeraldScenarios } from './scenarios';

interface PushOutcome {
  aor: string;
  outcome: string;
  origin: string;
}

let cluster: HeraldCluster | undefined;
const devices = describeHeraldScenarios(async () => {
  cluster = await HeraldCluster.start();
  return cluster;
});

describe('push outcomes on sip.push-outcome.v1', () => {
  it('reports timed-out for a device that never answers, answered for one that does', async () => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    const bus = new KafkaEventBus({ brokers: cluster.kafkaBrokers, clientId: 'herald-e2e-outcomes' });
    const outcomes: PushOutcome[] = [];
    const subscription = await bus.subscribe({
      groupId: uniqueGroupId('push-outcomes'),
      topics: [SIP_PUSH_OUTCOME_V1],
      // From the start: the AORs are new, so only this test's outcomes match, and none is missed while joining.
      fromBeginning: true,
      handler: async (record) => {
        outcomes.push(JSON.parse(record.value.toString('utf8')) as PushOutcome);
      },
    });
    try {
      const silent = await devices.registered(await devices.account('silent'), 'udp');
      silent.pushAnswer = 'never';
      const answering = await devices.registered(await devices.account('answering'), 'tcp');
      for (const device of [silent, answering]) {
        expectStatus(await device.command({ v: 1, id: commandId(), type: 'login' }), 200);
      }
      const outcomeOf = (aor: string) =>
        outcomes.find((event) => event.aor === aor && event.origin === 'auth');
      const timeoutMs = 64 * cluster.t1Ms + 30_000;
      const silentOutcome = await silent.waitUntil(
        () => outcomeOf(silent.aor),
        timeoutMs,
        'the silent outcome',
      );
      expect(silentOutcome.outcome).toBe('timed-out');
      const answeredOutcome = await answering.waitUntil(
        () => outcomeOf(answering.aor),
        timeoutMs,
        'the answered outcome',
      );
      expect(answeredOutcome.outcome).toBe('answered');
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});
