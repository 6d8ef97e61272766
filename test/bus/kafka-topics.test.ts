// HERALD_KAFKA_CREATE_TOPICS=false on a real broker: ensureTopics checks, never creates (Strimzi's
// ACLs grant the services no Create), and names what is missing.
import { logLevel } from 'kafkajs';
import { createKafkaClient, KafkaEventBus, KafkaTopicsMissingError } from '#herald/bus';
import { requireKafkaBrokers } from '../support/env';
import { uniqueTopic } from '../support/topics';

describe('KafkaEventBus without topic creation (real Kafka)', () => {
  const brokers = requireKafkaBrokers();
  const admin = createKafkaClient({
    brokers,
    clientId: 'topics-test-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  let checking: KafkaEventBus;
  let creating: KafkaEventBus;

  beforeAll(async () => {
    await admin.connect();
    checking = new KafkaEventBus({
      brokers,
      clientId: 'topics-test-check',
      logLevel: 'nothing',
      createTopics: false,
    });
    creating = new KafkaEventBus({ brokers, clientId: 'topics-test-create', logLevel: 'nothing' });
  });
  afterAll(async () => {
    await Promise.all([checking.close(), creating.close()]);
    await admin.disconnect();
  });

  it('fails with KAFKA_TOPICS_MISSING naming the missing topics, and creates none', async () => {
    const present = uniqueTopic('topics.present');
    const missing = uniqueTopic('topics.missing');
    await creating.ensureTopics([present]);
    const failure = await checking.ensureTopics([present, missing]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KafkaTopicsMissingError);
    expect(failure).toMatchObject({ code: 'KAFKA_TOPICS_MISSING', missing: [missing] });
    expect(await admin.listTopics()).not.toContain(missing);
  });

  it('passes when every topic exists', async () => {
    const present = uniqueTopic('topics.present');
    await creating.ensureTopics([present]);
    await expect(checking.ensureTopics([present])).resolves.toBeUndefined();
  });
});
