import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { logLevel } from 'kafkajs';
import { createKafkaClient } from '#herald/bus';
import { sleep } from './lib/bench-state';
import { ProcessTreeCpu } from './lib/process-cpu';

/**
 * What one fetch costs the broker, by how many partitions it names. kafkajs has no incremental
 * fetch sessions, so every fetch of a consumer names every partition it is assigned, busy or not:
 * presence's fetch names its 10 topics' partitions, im-router's its 6 topics'. A consumer of
 * --topics empty topics of --partitions partitions each fetches back to back (maxWait 0, so the
 * broker answers at once) for --seconds; the broker's CPU (its process, from /proc) per fetch is
 * printed. Alternate the shapes on one broker: the figures move with the machine's load.
 *
 *   K=$(mktemp -d); export KAFKA_BROKERS=$(bash scripts/kafka.sh start $K)
 *   node dist/bench/fetch-cost.js --broker-pid $(cat $K/pid) --topics 6 --partitions 4 --seconds 8
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'broker-pid': { type: 'string' },
      topics: { type: 'string', default: '6' },
      partitions: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '8' },
    },
  });
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter((broker) => broker !== '');
  if (values['broker-pid'] === undefined || brokers.length === 0) {
    throw new Error(
      'usage: KAFKA_BROKERS=host:port fetch-cost --broker-pid PID [--topics N --partitions N --seconds N]',
    );
  }
  const topicCount = Number(values.topics);
  const partitions = Number(values.partitions);
  const broker = new ProcessTreeCpu([{ name: 'broker', rootPid: Number(values['broker-pid']) }]);
  const kafka = createKafkaClient({ clientId: 'fetch-cost', brokers, logLevel: logLevel.NOTHING });
  const tag = `fetch-cost-${topicCount}x${partitions}-${process.pid}`;
  const topics = Array.from({ length: topicCount }, (_, index) => `${tag}-${index}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
  });
  const consumer = kafka.consumer({ groupId: tag, maxWaitTimeInMs: 0 });
  let fetches = 0;
  let counting = false;
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    if (counting && payload.apiName === 'Fetch') fetches += 1;
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ eachBatch: async () => {} });
  await sleep(3_000); // joined, fetching, compiled
  counting = true;
  const before = broker.sample()['broker'] ?? 0;
  const startedAt = performance.now();
  await sleep(Number(values.seconds) * 1000);
  const brokerMs = (broker.sample()['broker'] ?? 0) - before;
  const seconds = (performance.now() - startedAt) / 1000;
  counting = false;
  console.log(
    JSON.stringify({
      topics: topicCount,
      partitions,
      partitionsPerFetch: topicCount * partitions,
      fetchesPerSecond: Math.round(fetches / seconds),
      brokerCpuMsPerSecond: Math.round(brokerMs / seconds),
      brokerCpuUsPerFetch: Math.round((brokerMs * 1000) / Math.max(fetches, 1)),
      load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
    }),
  );
  await consumer.disconnect();
  await admin.deleteTopics({ topics });
  await admin.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
