import { Kafka, type InstrumentationEvent } from 'kafkajs';
import { KafkaEventBus, type ConsumedRecord, type SubscriptionHandle } from '#herald/bus';
import { requireKafkaBrokers } from '../support/env';
import { uniqueGroupId, uniqueTopic } from '../support/topics';
import { waitFor } from '../support/wait-for';

const brokers = requireKafkaBrokers();
const DELIVERY_TIMEOUT_MS = 30_000;
/** Far longer than a produce takes on a busy machine, so the wait it adds cannot be the produce's own. */
const PRODUCE_INTERVAL_MS = 2_000;

/** Counts the Produce requests of every producer created from now on (kafkajs' own request events). */
function countProduces(): { count: number } {
  const counted = { count: 0 };
  const { producer } = Kafka.prototype;
  Kafka.prototype.producer = function (this: Kafka, ...args) {
    const created = producer.apply(this, args);
    created.on(created.events.REQUEST, ({ payload }: InstrumentationEvent<{ apiName: string }>) => {
      if (payload.apiName === 'Produce') counted.count += 1;
    });
    return created;
  };
  return counted;
}

/**
 * The produce interval (HERALD_KAFKA_PRODUCE_INTERVAL_MS) on the real broker: a publish after an
 * idle moment goes at once; publishes made while a produce is in flight wait until the interval
 * after its start and go as one produce, acknowledged (acks=-1) and delivered in order per key.
 */
describe('KafkaEventBus: a produce interval', () => {
  const topic = uniqueTopic('produce-interval');
  const produces = countProduces();
  const bus = new KafkaEventBus({
    brokers,
    clientId: 'herald-produce-interval-test',
    logLevel: 'nothing',
    produceIntervalMs: PRODUCE_INTERVAL_MS,
    // A publish's wait for the interval counts towards its timeout.
    publishTimeoutMs: 5 * PRODUCE_INTERVAL_MS,
  });
  const received: ConsumedRecord[] = [];
  let subscription: SubscriptionHandle | undefined;
  const publish = (sequence: number): Promise<void> =>
    bus.publish([{ topic, key: 'sip:alice@herald.local', value: Buffer.from(String(sequence)) }]);

  beforeAll(async () => {
    await bus.ensureTopics([topic]);
    subscription = await bus.subscribe({
      groupId: uniqueGroupId('produce-interval'),
      topics: [topic],
      handler: async (record) => void received.push(record),
    });
    // Connects the producer, so the timed publishes below measure produces only.
    await publish(0);
  }, DELIVERY_TIMEOUT_MS);

  afterAll(async () => {
    await subscription?.stop();
    await bus.close();
  }, DELIVERY_TIMEOUT_MS);

  it(
    'sends a lone publish at once, and those made while it is in flight as one produce the interval after it',
    async () => {
      const producesBefore = produces.count;
      const started = performance.now();
      let first = Number.NaN;
      const lone = publish(1).then(() => void (first = performance.now() - started));
      // The bus took 1 for its first produce at the end of this turn (after the turn's other
      // publishes): 2 and 3, published in the next turn, before any reply can have been read,
      // wait behind it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      let rest = Number.NaN;
      const following = Promise.all([publish(2), publish(3)]).then(
        () => void (rest = performance.now() - started),
      );
      await Promise.all([lone, following]);

      expect(first).toBeLessThan(PRODUCE_INTERVAL_MS / 2);
      expect(rest).toBeGreaterThanOrEqual(PRODUCE_INTERVAL_MS - 50);
      expect(produces.count - producesBefore).toBe(2);
      await waitFor(() => received.length >= 4, DELIVERY_TIMEOUT_MS, 'four records');
      expect(received.map((record) => record.value.toString())).toEqual(['0', '1', '2', '3']);
    },
    DELIVERY_TIMEOUT_MS,
  );
});
