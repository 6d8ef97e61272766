/**
 * Run by scripts/kafka.sh right after the broker starts (`node tools/kafka/warm-up.ts BROKERS`):
 * makes the broker create and load its group-offsets topic and hand out producer ids, which it
 * does lazily. Without this, the first test to join a group or publish idempotently waits
 * through "coordinator not available / loading" retries.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const WARM_UP_TOPIC = 'herald.warm-up';
const WARM_UP_GROUP = 'herald-warm-up';

async function warmUp(brokers: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'herald-warm-up',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: WARM_UP_TOPIC, acks: -1, messages: [{ key: 'warm-up', value: 'warm-up' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: WARM_UP_GROUP, maxWaitTimeInMs: 100 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [WARM_UP_TOPIC], fromBeginning: true });
  await consumer.run({ eachMessage: async () => undefined });
  await joined;
  await consumer.disconnect();
}

// Exits explicitly: kafkajs can leave a request-queue timer behind after disconnecting.
warmUp(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('kafka warm-up failed:', error);
    process.exit(1);
  },
);
