import { KafkaJSError, KafkaJSProtocolError } from 'kafkajs';
import { createMissingTopics, type TopicAdmin } from './kafka-topic-creation';

/** An admin whose metadata request fails with `failures` in turn, then succeeds. */
function adminFailingMetadata(existing: string[], failures: Error[]) {
  const created: string[][] = [];
  let metadataCalls = 0;
  const admin: TopicAdmin = {
    listTopics: async () => [...existing],
    createTopics: async ({ topics }) => {
      created.push(topics.map((topic) => topic.topic));
      existing.push(...topics.map((topic) => topic.topic));
      return true;
    },
    fetchTopicMetadata: async () => {
      metadataCalls += 1;
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return { topics: [] };
    },
  };
  return { admin, created, metadataCalls: () => metadataCalls };
}

/** What kafkajs throws for a topic whose metadata the broker does not have yet. */
const unknownTopic = () =>
  new KafkaJSProtocolError(
    Object.assign(new Error('This server does not host this topic-partition'), {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      code: 3,
      retriable: true,
    }),
  );

describe('createMissingTopics', () => {
  const noSleep = async () => undefined;

  it('creates only the missing topics', async () => {
    const fake = adminFailingMetadata(['a'], []);
    await createMissingTopics(fake.admin, ['a', 'b'], Date.now() + 1_000, noSleep);
    expect(fake.created).toEqual([['b']]);
  });

  it('tries again while the metadata of a topic another replica just created is not there yet', async () => {
    const fake = adminFailingMetadata([], [unknownTopic(), unknownTopic()]);
    const pauses: number[] = [];
    await createMissingTopics(fake.admin, ['a'], Date.now() + 60_000, async (ms) => {
      pauses.push(ms);
    });
    expect(fake.metadataCalls()).toBe(3);
    expect(fake.created).toEqual([['a']]);
    expect(pauses).toEqual([100, 200]);
  });

  it('gives up on a retriable error past the deadline', async () => {
    const fake = adminFailingMetadata([], [unknownTopic()]);
    await expect(createMissingTopics(fake.admin, ['a'], Date.now() - 1, noSleep)).rejects.toThrow(
      'does not host this topic-partition',
    );
  });

  it('throws a non-retriable error at once', async () => {
    const denied = new KafkaJSError('Not authorized to access topics', { retriable: false });
    const fake = adminFailingMetadata([], [denied]);
    await expect(createMissingTopics(fake.admin, ['a'], Date.now() + 60_000, noSleep)).rejects.toBe(denied);
    expect(fake.metadataCalls()).toBe(1);
  });
});
