import { KafkaEventBus, type ConsumedRecord, type SubscriptionHandle } from '#herald/bus';
import { requireKafkaBrokers } from '../support/env';
import { uniqueGroupId, uniqueTopic } from '../support/topics';
import { waitFor } from '../support/wait-for';

const brokers = requireKafkaBrokers();
const DELIVERY_TIMEOUT_MS = 30_000;
/** Longer than a test may take: a held publish goes out only when something releases it. */
const LINGER_MS = 2 * DELIVERY_TIMEOUT_MS;

const sequenceOf = (record: ConsumedRecord): number =>
  (JSON.parse(record.value.toString('utf8')) as { sequence: number }).sequence;

/**
 * The producer linger (HERALD_KAFKA_LINGER_MS) on the real broker: publishes of a lingering topic
 * are held and then produced, acknowledged and delivered like any other; a publish of another
 * topic takes them along; one key keeps its order; closing the bus sends what it still holds.
 */
describe('KafkaEventBus: publishes of lingering topics', () => {
  const lingering = uniqueTopic('lingering');
  const prompt = uniqueTopic('prompt');
  const opened: KafkaEventBus[] = [];
  const subscriptions: SubscriptionHandle[] = [];
  const received: ConsumedRecord[] = [];

  const open = (): KafkaEventBus => {
    const bus = new KafkaEventBus({
      brokers,
      clientId: 'herald-linger-test',
      logLevel: 'nothing',
      lingerTopics: [lingering],
      lingerMs: LINGER_MS,
    });
    opened.push(bus);
    return bus;
  };
  const valuesOf = (topic: string, key: string): number[] =>
    received.filter((record) => record.topic === topic && record.key === key).map(sequenceOf);

  beforeAll(async () => {
    const bus = open();
    await bus.ensureTopics([lingering, prompt]);
    subscriptions.push(
      await bus.subscribe({
        groupId: uniqueGroupId('linger'),
        topics: [lingering, prompt],
        handler: async (record) => void received.push(record),
      }),
    );
  }, DELIVERY_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(subscriptions.map((handle) => handle.stop()));
    await Promise.all(opened.map((bus) => bus.close()));
  }, DELIVERY_TIMEOUT_MS);

  it(
    'sends held publishes along with the next publish that goes at once, in order per key',
    async () => {
      const bus = open();
      const key = 'sip:alice@herald.local';
      const publishes: Promise<void>[] = [];
      // Every seventh goes at once, the last one included: it takes the six held before it along.
      for (let sequence = 0; sequence < 35; sequence += 1) {
        const topic = sequence % 7 === 6 ? prompt : lingering;
        publishes.push(bus.publish([{ topic, key, value: Buffer.from(JSON.stringify({ sequence })) }]));
      }
      await Promise.all(publishes);

      await waitFor(
        () => valuesOf(lingering, key).length + valuesOf(prompt, key).length >= 35,
        DELIVERY_TIMEOUT_MS,
        '35 records',
      );
      const all = [...Array(35).keys()];
      expect(valuesOf(lingering, key)).toEqual(all.filter((sequence) => sequence % 7 !== 6));
      expect(valuesOf(prompt, key)).toEqual(all.filter((sequence) => sequence % 7 === 6));
    },
    DELIVERY_TIMEOUT_MS,
  );

  it(
    'sends the publishes it still holds when closed, and acknowledges them before the close resolves',
    async () => {
      const bus = open();
      const key = 'sip:bob@herald.local';
      let acknowledged = false;
      const held = bus
        .publish([{ topic: lingering, key, value: Buffer.from(JSON.stringify({ sequence: 1 })) }])
        .then(() => {
          acknowledged = true;
        });
      await bus.close();

      expect(acknowledged).toBe(true);
      await held;
      await waitFor(() => valuesOf(lingering, key).length >= 1, DELIVERY_TIMEOUT_MS, "bob's record");
      expect(valuesOf(lingering, key)).toEqual([1]);
    },
    DELIVERY_TIMEOUT_MS,
  );
});
